use std::process::ExitCode;

use clap::error::ErrorKind;

/// mimalloc rather than glibc's malloc: a run makes and frees millions of small syntax-tree
/// nodes and strings on two threads at once. Built without transparent huge pages (`no_thp`),
/// and told in `main` to give freed memory back at once, it gave every input of the bench a
/// lower ratio to the floor, and peaks within about a MiB of glibc's on small inputs and lower
/// on large ones (GUIDE.md, "Speed").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay`, as `mimalloc.h` numbers it (15 in its versions 2 and
/// 3 alike; a test checks it against the option's default): how many milliseconds freed
/// memory waits before it goes back to the system. Its default in mimalloc 3, which
/// libmimalloc-sys builds, is a second: the pages of every file parsed so far stayed resident,
/// and a crate of 1,700 files peaked at 42 to 52 MiB rather than 32.
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

#[cfg(test)]
mod tests {
    /// The index `main` sets is the purge delay: the only option whose default is 1000 (ms).
    /// A libmimalloc-sys that renumbered the options, or built mimalloc 2 (default 10), fails
    /// here rather than setting some other option to 0.
    #[test]
    fn the_purge_delay_is_the_option_main_sets() {
        // SAFETY: reads an option; nothing in this test binary sets one.
        let default = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(default, 1000);
        }
    }
}
