//! The command line, as clap derive: doc comments are the help text.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::dataset::format::Format;
use crate::dataset::tokens::Encoding;
use crate::extract::units::Imports;
use crate::profile::DEFAULT as DEFAULT_PROFILE;

/// Which `use` declarations an example's code carries as context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ImportsArg {
    /// The file's use declarations, as one exact slice.
    #[default]
    All,
    /// Only the whole use declarations that name something the unit uses.
    Used,
    /// No use declarations.
    None,
}

impl From<ImportsArg> for Imports {
    fn from(arg: ImportsArg) -> Imports {
        match arg {
            ImportsArg::All => Imports::All,
            ImportsArg::Used => Imports::Used,
            ImportsArg::None => Imports::None,
        }
    }
}

/// The wire format of each JSONL line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FormatArg {
    /// {"type":"chatml","messages":[system, user, assistant]}, the reasoning in a think block
    /// before the code.
    #[default]
    #[value(name = "chatml")]
    ChatMl,
    /// {"messages":[…]} with only the keys OpenAI's chat fine-tuning accepts; the think block
    /// stays in the assistant content.
    #[value(name = "openai")]
    OpenAi,
    /// {"messages":[…]} whose assistant message holds reasoning_content (the reasoning) and
    /// content (the code alone).
    Reasoning,
    /// TRL's {"prompt":[system, user],"completion":[assistant]}.
    PromptCompletion,
}

impl From<FormatArg> for Format {
    fn from(arg: FormatArg) -> Format {
        match arg {
            FormatArg::ChatMl => Format::ChatMl,
            FormatArg::OpenAi => Format::OpenAi,
            FormatArg::Reasoning => Format::Reasoning,
            FormatArg::PromptCompletion => Format::PromptCompletion,
        }
    }
}

/// A share strictly between 0 and 1.
fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if f > 0.0 && f < 1.0 => Ok(f),
        _ => Err("expected a fraction between 0 and 1, like 0.1".to_owned()),
    }
}

/// Turn svix-server's code into exact, grounded training examples (ChatML by default), one
/// operation at a time (message creation by default; see `svix-distill profiles`).
///
/// Parses a Rust file with syn, selects the handlers its router registers for the profile's
/// routes and the same-file items they reach, reads facts off the syntax tree and writes one
/// JSONL line per example: a request, the reasoning behind the code, and the code itself as
/// exact slices of the source.
#[derive(Debug, Parser)]
#[command(
    name = "svix-distill",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Exit codes:\n  0  examples written, listed, or found current by --check; a dataset valid; no sentence\n     flagged by review; the missing model calls written by --llm-export; a route table\n     printed\n  1  OUT (or its manifest) stale or missing under --check, no route of the profile found\n     (see --profile, --root, --allow-empty), no example to write (--allow-empty),\n     an example left out under --strict, faults found by validate, a dataset with no\n     valid line (validate, stats), a sentence flagged or a line not read or with no\n     verdict (review), model calls missing from the cache, or no route in the\n     crate (routes)\n  2  usage, input or output error, an output that is a file the run reads among them"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub generate: GenerateArgs,

    /// Print no progress, summary or notes on stderr; errors and warnings still print.
    // Under the first heading: declared after the flattened options, it would take their last.
    #[arg(short, long, global = true, help_heading = None)]
    pub quiet: bool,
}

impl Cli {
    /// Parses a command line (program name first) where a global flag may stand before the
    /// subcommand as well as after it: `svix-distill -q routes` as `svix-distill routes -q`.
    ///
    /// Generation's options are the top level's own, so a subcommand conflicts with any of
    /// them (`args_conflicts_with_subcommands`); clap counts a global flag given before the
    /// subcommand among them and refuses the subcommand. The leading global flags are moved
    /// after the subcommand's name instead, where clap reads them as the subcommand's.
    pub fn parse_from_args(args: impl IntoIterator<Item = OsString>) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(global_flags_after_subcommand(
            args.into_iter().collect(),
            &Cli::command(),
        ))
    }
}

/// `args` with the global flags (no value taken) that stand before a subcommand's name moved
/// just after it; unchanged when what follows them is no subcommand (a generating run).
fn global_flags_after_subcommand(
    mut args: Vec<OsString>,
    command: &clap::Command,
) -> Vec<OsString> {
    let is_global_flag = |word: &OsString| {
        let Some(word) = word.to_str() else {
            return false;
        };
        command.get_arguments().any(|arg| {
            arg.is_global_set()
                && matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::Count)
                && (arg
                    .get_long()
                    .is_some_and(|long| word.strip_prefix("--") == Some(long))
                    || arg
                        .get_short()
                        .is_some_and(|short| word == format!("-{short}")))
        })
    };
    let flags = args
        .iter()
        .skip(1)
        .take_while(|word| is_global_flag(word))
        .count();
    let is_subcommand = args
        .get(1 + flags)
        .and_then(|word| word.to_str())
        .is_some_and(|word| {
            command.get_subcommands().any(|sub| {
                sub.get_name() == word || sub.get_all_aliases().any(|alias| alias == word)
            })
        });
    if flags > 0 && is_subcommand {
        args[1..=1 + flags].rotate_left(flags);
    }
    args
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check that a JSONL dataset is well-formed, exact and grounded, and count its tokens.
    ///
    /// Reports every fault as FILE:LINE: message and exits 1 if there is any. Near-duplicate
    /// requests and reasonings are warnings unless --strict.
    Validate(ValidateArgs),
    /// Summarize a JSONL dataset: examples, units, mechanisms shown, tokens, text variety.
    Stats(StatsArgs),
    /// List the built-in profiles, or print one as TOML (`profiles show NAME`) to copy and edit.
    Profiles(ProfilesArgs),
    /// Pair real commit messages from a git history with the profile's items each commit added
    /// or changed.
    ///
    /// For each commit that changed the file (oldest first, following renames), both versions
    /// are parsed and the profile's items compared by their tokens: formatting and comments are
    /// not changes. A commit that changed existing items gives a change example (its message and
    /// the code before it as the request, the code after it as the answer); one that added items
    /// gives a new example. Merges, reverts, commits that changed no item, mechanical edits and
    /// messages of fewer than three words are dropped and counted. Given a folder (--path), the
    /// commits that changed a .rs file in it, items paired across files: an item moved to
    /// another file keeps its past, and a commit that only moves items is dropped as moved.
    /// Git is read in process.
    History(HistoryArgs),
    /// Ask a language model which sentences of each line's request and reasoning its code does
    /// not support: the model writer's critic, on any dataset in any of the four formats.
    ///
    /// Each line's request, reasoning and code go to the model with the source files (see
    /// --source), through the same cache, server, export and import as the model writer's
    /// calls. Prints, per line, the sentences flagged and why; exits 1 when any is flagged, or a
    /// line could not be read or its reply understood.
    Review(ReviewArgs),
    /// List every route a crate's routers register: method, full path, handler, where the
    /// handler is defined, its OpenAPI operation id, and the built-in profile it is a root of.
    ///
    /// The routers are read the way axum and aide compose them: `api_route`, `api_route_with`
    /// and `route` with their method routers (`post_with(handler, op).get_with(..)`), and the
    /// routers other functions return, composed with `merge`, `nest`, `nest_api_service` or
    /// `nest_service` (also through a `let`), across modules, from the routers no other
    /// composes. Rows come in the order the routers register them. Exits 1 when the crate
    /// registers no route.
    Routes(RoutesArgs),
}

#[derive(Debug, Args)]
pub struct RoutesArgs {
    /// The crate: its folder, its src/, or a folder holding it (a repository root, where
    /// server/svix-server is read first among several crates). Default: the current folder.
    #[arg(value_name = "CRATE")]
    pub krate: Option<PathBuf>,

    /// Print one JSON object per route and line instead of the table (the keys are in GUIDE.md).
    #[arg(long)]
    pub json: bool,

    /// Write there instead of stdout. It may not be a file of the crate.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    pub command: Option<ProfilesCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// Print a built-in profile's TOML, ready to copy and edit.
    Show {
        /// The profile's name.
        #[arg(required_unless_present = "route")]
        name: Option<String>,

        /// Instead: the profile derived from this route of the crate (as `--route` takes it),
        /// as TOML to copy and edit.
        #[arg(long, value_name = "ROUTE", conflicts_with = "name")]
        route: Option<String>,

        /// With --route: the crate to look the route up in (by default the one here).
        #[arg(long = "crate", value_name = "CRATE", requires = "route")]
        krate: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The JSONL files to check, each reported on its own (`-` reads stdin); a folder (an
    /// --all-routes one) stands for the .jsonl files in it.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    /// A Rust file, or a folder of them, that the code must be sliced from. Repeatable. With it,
    /// every code section must be exact item slices of one source, and the text grounded.
    #[arg(long, value_name = "PATH")]
    pub source: Vec<PathBuf>,

    /// The profile the dataset was made with: its system prompt and mechanism words are
    /// checked. A built-in name or a path to a .toml file. Without it, each file's operation
    /// is the built-in profile its manifest (<stem>.manifest.json beside it) names, or the one
    /// its system prompt is (a built-in profile's, or one derived from a route).
    #[arg(short, long, value_name = "NAME|PATH")]
    pub profile: Option<String>,

    /// The system prompt every line must carry, instead of the profile's.
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,

    /// The tokenizer the counts are for.
    #[arg(long, value_enum, default_value_t = Encoding::O200kBase)]
    pub encoding: Encoding,

    /// Warn about lines with more tokens than this.
    #[arg(long, value_name = "N", default_value_t = 16_384)]
    pub max_tokens: usize,

    /// Fail when the whole file has more tokens than this.
    #[arg(long, value_name = "N")]
    pub token_budget: Option<usize>,

    /// Make near-duplicates faults instead of warnings: a line whose request or reasoning
    /// shares most word 5-grams with an earlier line's (Jaccard 0.7 or more) fails the file.
    #[arg(long)]
    pub strict: bool,

    /// The wire format every line must have; by default the one the first line's keys name.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// A git repository (work tree or bare) a history dataset was made from: each line's code,
    /// and the code its request quotes, must be exact slices of the files at the commits its
    /// manifest names. Needs --manifest.
    #[arg(
        long,
        value_name = "REPO",
        requires = "manifest",
        conflicts_with = "source"
    )]
    pub repo: Option<PathBuf>,

    /// The manifest written beside the dataset (with --repo).
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The JSONL file to summarize (`-` reads stdin).
    pub file: PathBuf,

    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,

    /// The profile the dataset was made with (its system prompt). A built-in name or a path.
    /// Without it, found as validate finds it: the manifest beside the file, or its system
    /// prompt.
    #[arg(short, long, value_name = "NAME|PATH")]
    pub profile: Option<String>,

    /// The tokenizer the counts are for.
    #[arg(long, value_enum, default_value_t = Encoding::O200kBase)]
    pub encoding: Encoding,

    /// The wire format of the lines; by default the one the first line's keys name.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// The manifest written with the file (--manifest of the run that made it): adds what
    /// became of the model writer's drafts (accepted first, after revision, fallen back to the
    /// templates by the check that failed) and the tokens sent and received.
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,
}

/// `--llm-cache`'s help for review, whose cache sits beside the dataset.
const REVIEW_CACHE_HELP: &str = "The cache every model call goes through (one JSON line per \
    call). Default: beside DATASET, <DATASET stem>.llm-cache.jsonl, where the model writer keeps \
    the calls that made DATASET (a review of them finds its critic's answers there); needed when \
    DATASET is stdin";

#[derive(Debug, Args)]
#[command(
    mut_arg("llm_model", |arg| arg.required(true).help(
        "The model (OpenAI-compatible name, e.g. gpt-4o-mini); part of every call's cache key"
    )),
    mut_arg("llm_cache", |arg| arg.help(REVIEW_CACHE_HELP)),
)]
pub struct ReviewArgs {
    /// The JSONL dataset to review, in any of the four formats (`-` reads stdin).
    pub dataset: PathBuf,

    /// The code the critic reads each line against: a Rust file, or a folder of them, whole.
    /// Repeatable; several are joined, each under a `// file: PATH` line. Without it the critic
    /// sees only the line's own code, and flags what that code alone does not support.
    #[arg(long, value_name = "PATH")]
    pub source: Vec<PathBuf>,

    /// The profile whose critic prompt is asked, and whose system prompt the lines carry. A
    /// built-in name or a path to a .toml file.
    #[arg(short, long, value_name = "NAME|PATH", default_value = DEFAULT_PROFILE)]
    pub profile: String,

    /// The system prompt every line carries, instead of the profile's.
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,

    /// The wire format of the lines; by default the one the first line's keys name.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// Write the report here instead of to stdout. It may be neither DATASET nor a source.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Print one JSON object per line instead of the report: {"line":N,"unsupported":
    /// [{"sentence":…,"why":…}]}, or {"line":N,"error":…} for a line not read or a reply not
    /// understood.
    #[arg(long)]
    pub json: bool,

    #[command(flatten, next_help_heading = "Language model")]
    pub model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A git work tree (or a folder in one) or a bare git directory.
    #[arg(default_value = ".")]
    pub repo: PathBuf,

    /// The file to follow, relative to the repository's root; repeatable. By default the
    /// profile's first default file (server/svix-server/src/v1/endpoints/message.rs for
    /// message creation). A folder (server/svix-server/src/v1/endpoints) follows every commit
    /// that changed a .rs file in it, the profile's selection run over all its files at each
    /// version, and an item moved to another file followed as the same item.
    #[arg(long, value_name = "FILE|FOLDER")]
    pub path: Vec<String>,

    /// Only commits after REV (a commit id, branch or tag): for a CI job that appends the
    /// examples of new commits.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,

    /// The newest commit to read.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub until: String,

    /// Which operation's items to follow: a built-in profile or a path to a profile .toml file.
    #[arg(short, long, value_name = "NAME|PATH", default_value = DEFAULT_PROFILE)]
    pub profile: String,

    /// Follow one route's operation instead of a profile, as generation's --route gives it
    /// (`"POST /app/{app_id}/msg"` or an operation id), looked up in the route table of the
    /// repository's crate at --until. Without --path, the folders of its handler and router.
    #[arg(long, value_name = "ROUTE", conflicts_with = "profile")]
    pub route: Option<String>,

    /// Follow every route of the repository's crate (its route table at --until) into the
    /// folder OUT (`-o DIR`): the folders of the handler files (without --path) read once, each
    /// commit's changed items split by the operations whose handlers reach them, one dataset
    /// per operation as generation's --all-routes writes them (an item several operations
    /// reach is in the first one's dataset only, in route order), one manifest, a dataset card.
    #[arg(
        long,
        requires = "output",
        conflicts_with_all = ["profile", "route", "list", "manifest", "valid_output", "allow_empty"]
    )]
    pub all_routes: bool,

    /// Print one line per commit (id, subject, items added or changed, kept or dropped and
    /// why) instead of JSONL, to OUT with -o.
    #[arg(long, conflicts_with = "check")]
    pub list: bool,

    /// When no commit gives an example (none after --since, or every one dropped), write an
    /// empty file and exit 0 instead of failing (for a CI job run on every push).
    #[arg(long)]
    pub allow_empty: bool,

    /// Which use declarations each example's code carries.
    #[arg(long, value_enum, default_value_t = ImportsArg::Used)]
    pub imports: ImportsArg,

    #[command(flatten)]
    pub write: WriteArgs,

    #[command(flatten)]
    pub llm: LlmArgs,
}

/// Generating examples: the command without a subcommand.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The Rust file to read (`-` reads stdin), or a crate folder (or its src/, or a repository
    /// holding the crate) to follow the operation across. Without it, the profile's default
    /// inputs are tried under the current folder (for message creation
    /// server/svix-server/src/v1/endpoints/message.rs first).
    pub input: Option<PathBuf>,

    /// Which operation to distill: a built-in profile (message-creation, application-creation,
    /// endpoint-creation) or a path to a profile .toml file.
    #[arg(short, long, value_name = "NAME|PATH", default_value = DEFAULT_PROFILE)]
    pub profile: String,

    /// Distill the operation of one route, instead of a profile: `"POST /app/{app_id}/msg"` (the
    /// path as `routes` prints it, or without the prefixes it is nested under) or its operation
    /// id (`v1.endpoint.rotate-secret`). The route is looked up in the crate INPUT is (or is
    /// in); a built-in profile that covers it is used, else one is derived from it (see
    /// `profiles show --route`).
    #[arg(long, value_name = "ROUTE", conflicts_with = "profile")]
    pub route: Option<String>,

    /// Distill every route of the crate INPUT is (or holds) into the folder OUT (`-o DIR`): one
    /// dataset per operation, named by its operation id (`DIR/v1.message.create.jsonl`), each
    /// route's profile the built-in one that covers it or one derived from it; one manifest
    /// (`DIR/manifest.json`) and a Hugging Face dataset card (`DIR/README.md`). An item several
    /// operations reach is a unit of the first one's dataset only, in route order.
    #[arg(
        long,
        requires = "output",
        conflicts_with_all = ["profile", "route", "list", "root", "focus", "manifest", "valid_output", "allow_empty"]
    )]
    pub all_routes: bool,

    /// Print the selected items (kind, name, lines, why) instead of JSONL, to OUT with -o.
    #[arg(long, conflicts_with = "check")]
    pub list: bool,

    /// When the input has no route of the profile, write an empty file and exit 0 instead of
    /// failing (for CI jobs on files that may lose their handlers).
    #[arg(long)]
    pub allow_empty: bool,

    /// With a folder as INPUT: the files whose routers are searched for the profile's routes
    /// (by default the profile's, e.g. **/endpoints/message.rs).
    #[arg(long, value_name = "GLOB")]
    pub focus: Option<String>,

    /// With a folder: also walk paths matching GLOB (target/, tests/, benches/, examples/ and
    /// hidden folders are skipped otherwise). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// With a folder: leave out files matching GLOB. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// With a folder: how many calls away from the focus files to follow (0 keeps to them).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub depth: usize,

    /// With a folder: exit 0 even when some files could not be parsed (they are reported and
    /// skipped either way).
    #[arg(long)]
    pub keep_going: bool,

    /// Also treat this function as a root, besides the routed handlers. Repeatable.
    #[arg(long, value_name = "NAME")]
    pub root: Vec<String>,

    /// Examples per unit. By default chosen so a typical file gives about 20 examples.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub variants: Option<u16>,

    /// Which use declarations each example's code carries.
    #[arg(long, value_enum, default_value_t = ImportsArg::All)]
    pub imports: ImportsArg,

    #[command(flatten)]
    pub write: WriteArgs,

    #[command(flatten)]
    pub llm: LlmArgs,
}

/// Who writes an example's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum WriterArg {
    /// The profile's templates and rules: offline and deterministic.
    #[default]
    Template,
    /// A language model (any OpenAI-compatible server), every draft verified and read by a
    /// critic, through a cache; the templates' text stands where no draft passes.
    Llm,
}

/// What the model writer does with a call the cache lacks and nothing can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FallbackArg {
    /// Stop (exit 1) with the number of calls missing.
    #[default]
    None,
    /// Let the templates write those examples.
    Template,
}

/// Whether the critic round runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Switch {
    #[default]
    On,
    Off,
}

/// The language-model writer's options: shared by generation and history mode.
#[derive(Debug, Args)]
#[command(next_help_heading = "Language-model writer")]
pub struct LlmArgs {
    /// Who writes the requests and reasonings.
    #[arg(long, value_enum, default_value_t = WriterArg::Template)]
    pub writer: WriterArg,

    #[command(flatten)]
    pub model: ModelArgs,

    /// What a call the cache lacks becomes when nothing answers it.
    #[arg(long, value_enum, default_value_t = FallbackArg::None)]
    pub llm_fallback: FallbackArg,

    /// Whether a critic reads each draft against the whole source before it is accepted.
    #[arg(long, value_enum, default_value_t = Switch::On)]
    pub llm_critic: Switch,
}

/// Which model is asked, and how its calls are cached and answered: shared by the model writer
/// and review.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The model (OpenAI-compatible name, e.g. gpt-4o-mini, qwen2.5-coder:32b); part of every
    /// call's cache key. Needed with --writer llm.
    #[arg(long, value_name = "NAME")]
    pub llm_model: Option<String>,

    /// The cache every model call goes through (one JSON line per call). Default: beside OUT,
    /// <OUT stem>.llm-cache.jsonl; needed when OUT is stdout.
    #[arg(long, value_name = "PATH")]
    pub llm_cache: Option<PathBuf>,

    /// Answer the calls the cache lacks live, from this OpenAI-compatible server (OpenAI,
    /// vLLM, Ollama, llama.cpp, TGI: e.g. http://localhost:11434). The key, if any, is read
    /// from SVIX_DISTILL_API_KEY or OPENAI_API_KEY.
    #[arg(long, value_name = "URL")]
    pub llm_url: Option<String>,

    /// Live calls made at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub llm_concurrency: u16,

    /// Seconds one live call may take before it is tried again.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub llm_timeout: u64,

    /// Tries after the first for a live call that failed in a way worth trying again (429,
    /// 5xx, a timeout, a cut-off reply), waiting 1 s, 2 s, 4 s… or as `Retry-After` says.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub llm_retries: u32,

    /// Write the calls the cache lacks to FILE as OpenAI Batch API input lines (vLLM's
    /// run_batch reads them too) and stop; run the batch, then run again with --llm-import.
    #[arg(long, value_name = "FILE")]
    pub llm_export: Option<PathBuf>,

    /// Add the replies of a Batch API output file to the cache before anything is asked.
    #[arg(long, value_name = "FILE")]
    pub llm_import: Option<PathBuf>,
}

/// Where the examples go and in which form: shared by generation and history mode.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Write the JSONL here instead of to stdout (`-`): a regular file is replaced atomically
    /// and keeps its mode, a link's target is replaced, a FIFO or device is written in place.
    /// No output may be a file the run reads (the input, a source file of the crate, the
    /// profile, a file git tracks in history mode's repository): that is refused, and nothing
    /// is written.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Generate in memory and compare with OUT instead of writing it (and with the validation
    /// file and the manifest, when asked for): exit 0 when all are current, 1 when one is stale
    /// or missing.
    #[arg(long, requires = "output")]
    pub check: bool,

    /// The wire format of each line.
    #[arg(long, value_enum, default_value_t = FormatArg::ChatMl)]
    pub format: FormatArg,

    /// Also write a JSON manifest here: tool, version, options, the sha256 of the data and of
    /// each source (with its git commit; in history mode every example's and slice's commit),
    /// and where every example's code comes from. --check compares it too.
    #[arg(long, value_name = "PATH", conflicts_with = "list")]
    pub manifest: Option<PathBuf>,

    /// Write this share of the examples (0 < FRACTION < 1), as near as whole groups of units
    /// allow, to OUT's sibling <OUT stem>.valid<ext> (or --valid-output) instead of OUT; every
    /// example of a unit lands on one side, and the summary gives the share obtained.
    #[arg(long, value_name = "FRACTION", conflicts_with = "list", value_parser = fraction)]
    pub valid: Option<f64>,

    /// With --valid: write the validation share here instead of beside OUT. Needed when OUT is
    /// stdout, a FIFO or a device, which have no folder to put a sibling in.
    #[arg(long, value_name = "PATH", requires = "valid")]
    pub valid_output: Option<PathBuf>,

    /// Fail (exit 1, nothing written) when any example is left out because its text fails
    /// the check; without it such an example is left out with a warning and the run goes on.
    #[arg(long)]
    pub strict: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
