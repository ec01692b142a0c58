//! The `cxm` binary: parse the command line, run, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match cxm::run(std::env::args_os()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A closed stdout (`cxm nps x.csv | head`) is not an error.
            if cxm::output::sink::is_broken_pipe(&e) {
                return ExitCode::from(cxm::error::EXIT_OK);
            }
            eprintln!("cxm: error: {}", cxm::error::render(&e));
            ExitCode::from(cxm::error::EXIT_ERROR)
        }
    }
}
