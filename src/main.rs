use std::process::ExitCode;

use clap::error::ErrorKind;

/// mimalloc rather than glibc's malloc: a run makes and frees millions of small syntax-tree
/// nodes and strings on two threads at once. Built without transparent huge pages (`no_thp`),
/// and told in `main` to give freed memory back at once, it is faster than glibc's on every
/// input of the bench and no larger at its peak (GUIDE.md, "Speed").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay`, as `mimalloc.h` numbers it (15 in its versions 2 and
/// 3 alike): how many milliseconds freed memory waits before it goes back to the system. Its
/// default of 10 kept the pages of a parsed file after the file was done with, which raised
/// the peak by a fifth on large inputs.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // SAFETY: sets one option before this thread starts any other; no allocation is in flight.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
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
