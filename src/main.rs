//! The `rectrack` command: start from nothing (`init`), serve the API
//! (`serve`, with `--demo` for the Operation Hotton data set), and run the
//! operator's tasks — migrations, seeding, tokens, reports, audit checks.
//!
//! Exit codes: 0 success, 1 failure (including an invalid audit chain),
//! 2 a usage error.

#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    // The database, its journal files and the evidence blobs are the
    // oversight record, some of it not public: whatever the umask this was
    // started with, every file it creates is its owner's alone (0600, and
    // 0700 for directories).
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("rectrack: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("rectrack: {error}");
            ExitCode::FAILURE
        }
    }
}
