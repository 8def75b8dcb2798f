//! colocctl: command line for the coloc co-location knobs.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use colocctl::set::{self, SetArgs};
use colocctl::{status, tree, Error, Roots};

/// Inspect and set the coloc co-location knobs (cgroup v2 and /sys/kernel/coloc).
#[derive(Debug, Parser)]
#[command(name = "colocctl", version, about)]
struct Cli {
    /// The cgroup v2 mount.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "/sys/fs/cgroup"
    )]
    cgroup_root: PathBuf,
    /// The sysfs mount (for tests and chroots).
    #[arg(long, global = true, value_name = "DIR", default_value = "/sys")]
    sys_root: PathBuf,
    /// The procfs mount (for tests and chroots).
    #[arg(long, global = true, value_name = "DIR", default_value = "/proc")]
    proc_root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Kernel support, version, loaded features and hooks, global switches.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// The cgroup tree with each cgroup's coloc settings and key statistics.
    Tree {
        /// Start here instead of the root (relative to the cgroup root).
        path: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Set coloc knobs of one cgroup; every value is checked before any write.
    Set {
        /// The cgroup, relative to the cgroup root (e.g. kubepods/pod1).
        cgroup: String,
        /// memory.priority, 0..12 (higher is more important).
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        memory_priority: Option<String>,
        /// memory.use_priority_oom, 0 or 1.
        #[arg(long, value_name = "0|1", allow_hyphen_values = true)]
        memory_use_priority_oom: Option<String>,
        /// memory.wmark_ratio, 0..100 (percent of the limit; 0 is off).
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        memory_wmark_ratio: Option<String>,
        /// memory.wmark_scale_factor, 1..1000 (1/10000 of the limit).
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        memory_wmark_scale_factor: Option<String>,
        /// cpu.bvt_warp_ns: offline, normal, online, online-expel, or -1, 0, 1, 2.
        #[arg(long, value_name = "CLASS", allow_hyphen_values = true)]
        cpu_class: Option<String>,
        /// io.coloc class of a disk: DEV=offline|normal|online, DEV as MAJ:MIN
        /// or /dev/NAME. Repeatable.
        #[arg(long, value_name = "DEV=CLASS")]
        io_class: Vec<String>,
        /// io.coloc latency target of a disk in microseconds, 0..10000000.
        /// Repeatable.
        #[arg(long, value_name = "DEV=USEC", allow_hyphen_values = true)]
        io_target: Vec<String>,
        /// Check everything and print the writes without making them.
        #[arg(long)]
        dry_run: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let roots = Roots {
        sys: cli.sys_root,
        proc: cli.proc_root,
        cgroup: cli.cgroup_root,
    };
    match run(&roots, cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("colocctl: {err}");
            // 2 for bad arguments, as clap does for its own usage errors.
            ExitCode::from(if matches!(err, Error::Invalid(_)) {
                2
            } else {
                1
            })
        }
    }
}

fn run(roots: &Roots, command: Command) -> Result<(), Error> {
    match command {
        Command::Status { json } => {
            let s = status::collect(roots);
            if json {
                print_json(&s)
            } else {
                print(&status::render_text(&s))
            }
        }
        Command::Tree { path, json } => {
            let t = tree::collect(roots, path.as_deref())?;
            if json {
                print_json(&t)
            } else {
                print(&tree::render_text(&t))
            }
        }
        Command::Set {
            cgroup,
            memory_priority,
            memory_use_priority_oom,
            memory_wmark_ratio,
            memory_wmark_scale_factor,
            cpu_class,
            io_class,
            io_target,
            dry_run,
        } => {
            let args = SetArgs {
                memory_priority,
                memory_use_priority_oom,
                memory_wmark_ratio,
                memory_wmark_scale_factor,
                cpu_class,
                io_class,
                io_target,
            };
            run_set(roots, &cgroup, &args, dry_run)?
        }
    }
    Ok(())
}

fn run_set(roots: &Roots, cgroup: &str, args: &SetArgs, dry_run: bool) -> Result<(), Error> {
    if dry_run {
        let plan = set::plan(roots, cgroup, args)?;
        for w in &plan.writes {
            print(&format!(
                "would write '{}' to {}\n",
                w.content.trim_end(),
                plan.cgroup.file(w.file).display()
            ));
        }
        return Ok(());
    }
    let plan = set::set(roots, cgroup, args)?;
    for w in &plan.writes {
        print(&format!(
            "{} {}: {}\n",
            plan.cgroup.name,
            w.file,
            w.content.trim_end()
        ));
    }
    Ok(())
}

fn print_json(value: &impl Serialize) {
    // Serializing plain structs of strings and numbers cannot fail.
    let text = serde_json::to_string_pretty(value).expect("JSON serialization");
    print(&format!("{text}\n"));
}

/// Writes to stdout; a closed pipe (`colocctl tree | head`) ends quietly
/// instead of panicking as println! would.
fn print(text: &str) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("colocctl: writing output: {e}");
        std::process::exit(1);
    }
}
