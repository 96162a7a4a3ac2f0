//! Writes one profile per route a file or crate registers (`svix_distill::route_profile`),
//! for the route sweep (scripts/route-sweep.sh): one TOML file per (method, last segment) of
//! each file's routes in OUTDIR, and on stdout one tab-separated line per profile: the TOML's
//! path, the file with the route (relative to a folder INPUT), the method, the path, and
//! `elsewhere` when every handler for it is defined in another module (single-file mode then
//! finds nothing to select), `here` otherwise.
//! `cargo run --release --example route_profiles -- FILE_OR_FOLDER OUTDIR`

use std::path::PathBuf;
use std::process::ExitCode;

fn run(input: PathBuf, outdir: PathBuf) -> anyhow::Result<()> {
    std::fs::create_dir_all(&outdir)?;
    let mut lines = String::new();
    for route in svix_distill::route_profile::route_profiles(&input)? {
        let toml = outdir.join(format!("{}.toml", route.profile.name));
        if toml.exists() {
            anyhow::bail!("{} would be written twice", toml.display());
        }
        std::fs::write(&toml, route.to_toml())?;
        lines.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            toml.display(),
            route.file.display(),
            route.method,
            route.path,
            if route.handler_elsewhere {
                "elsewhere"
            } else {
                "here"
            },
        ));
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), lines.as_bytes())?;
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(input), Some(outdir), None) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: route_profiles FILE_OR_FOLDER OUTDIR");
        return ExitCode::from(2);
    };
    match run(input.into(), outdir.into()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("route_profiles: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
