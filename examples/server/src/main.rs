//! `natter-server` binary: parses the command line, sets up logging (stderr,
//! so stdout stays machine-readable) and runs [`natter_server::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    let opts = match natter_server::cli::parse(std::env::args().skip(1)) {
        Ok(natter_server::cli::Parsed::Run(opts)) => opts,
        Ok(natter_server::cli::Parsed::Help(text)) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("natter-server: {message}\n\n{}", natter_server::cli::USAGE);
            return ExitCode::from(2);
        }
    };
    natter_server::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("natter-server: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(natter_server::run(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("natter-server: {err}");
            ExitCode::FAILURE
        }
    }
}
