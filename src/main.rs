use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = svix_distill::cli::Cli::parse();
    match svix_distill::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            svix_distill::output::error(&err);
            ExitCode::from(svix_distill::exit_code(&err))
        }
    }
}
