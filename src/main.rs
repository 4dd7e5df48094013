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
