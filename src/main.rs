use std::process::ExitCode;

use clap::error::ErrorKind;

fn main() -> ExitCode {
    let cli = match svix_distill::cli::Cli::parse_from_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    match svix_distill::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            svix_distill::dataset::output::error(&err);
            ExitCode::from(svix_distill::exit_code(&err))
        }
    }
}

/// What clap stopped at: `--help` and `--version` print as clap prints them (exit 0); a usage
/// error gets the `svix-distill: error:` prefix every error has, and clap's exit code (2).
fn usage_error(err: &clap::Error) -> ExitCode {
    let shown = matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if shown {
        // Prints to stdout (stderr for a help shown on a missing argument) and exits.
        err.exit();
    }
    let text = err.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    svix_distill::dataset::output::error(&anyhow::anyhow!("{}", text.trim_end()));
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2))
}
