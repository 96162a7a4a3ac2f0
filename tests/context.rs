//! A brief's context through the whole pipeline: none unless `Options::context_for_writer`
//! asks for it (the templates read none, and their examples are the same either way); when
//! asked, every item is text of the crate standing at the line it names, none repeats the
//! unit's code, the whole fits the unit's budget, and in crate mode items come from the other
//! files a unit reaches.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use support::git::TestRepo;

use svix_distill::extract::source::SourceFile;
use svix_distill::extract::tree::TreeOptions;
use svix_distill::pipeline::{self, Extracted, Options, Writers};
use svix_distill::profile::Profile;
use svix_distill::write::{Brief, ContextItem, Text, Writer};

/// What a brief said, as the spy saw it (history mode's briefs are all first ones).
struct Seen {
    key: String,
    path: PathBuf,
    code: String,
    context: Vec<ContextItem>,
}

/// The templates' text, and a record of every first brief of a unit.
struct Spy<'p> {
    templates: svix_distill::write::template::TemplateWriter<'p>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Writer for Spy<'_> {
    fn write(&self, brief: &Brief) -> anyhow::Result<Text> {
        if brief.variant == 0 {
            self.seen.lock().unwrap().push(Seen {
                key: brief.key.clone(),
                path: brief.path.to_path_buf(),
                code: brief.code.to_owned(),
                context: brief.context.clone(),
            });
        }
        self.templates.write(brief)
    }
}

/// Options that have `seen` filled, context asked for or not.
fn spying(seen: &Arc<Mutex<Vec<Seen>>>, context_for_writer: bool) -> Options {
    let seen = seen.clone();
    Options {
        writer: Writers::Given(Arc::new(move |profile: &Profile| {
            Box::new(Spy {
                templates: pipeline::template_writer(profile),
                seen: seen.clone(),
            }) as Box<dyn Writer + '_>
        })),
        context_for_writer,
        ..Options::default()
    }
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

fn message_file(options: &Options) -> Extracted {
    let source = SourceFile::read(&fixture("message.rs")).unwrap();
    let profile = Profile::load("message-creation").unwrap();
    pipeline::extract(&source, &profile, options).unwrap()
}

fn message_crate(options: &Options) -> Extracted {
    let profile = Profile::load("message-creation").unwrap();
    let tree = TreeOptions::for_focus(&profile.file.inputs.focus);
    pipeline::extract_tree(&fixture("crate"), &tree, &profile, options).unwrap()
}

/// Every item's text stands in its file from the line it names (each line as written, save
/// the indentation of a nested item's), repeats none of its unit's code, and the items fit
/// the unit's budget: 1.5 bytes per byte of code, at least 800.
fn assert_quoted_from_the_crate(seen: &[Seen]) {
    for brief in seen {
        let mut bytes = 0;
        for item in &brief.context {
            let file = std::fs::read_to_string(&item.path).unwrap();
            let from_line: Vec<&str> = file.lines().skip(item.line - 1).map(str::trim).collect();
            let first = item.text.lines().next().unwrap().trim();
            assert!(
                from_line[0].starts_with(first),
                "{} {}: {first:?} is not at {}:{}",
                brief.key,
                item.name,
                item.path.display(),
                item.line
            );
            // An impl's outline leaves bodies out: its lines stand in order, not together.
            let mut rest = from_line.iter();
            for line in item.text.lines().map(str::trim).filter(|l| *l != "}") {
                let line = line.trim_end_matches(';');
                assert!(
                    rest.any(|l| l.starts_with(line)),
                    "{} {}: {line:?} is not in {}",
                    brief.key,
                    item.name,
                    item.path.display()
                );
            }
            assert!(
                !brief.code.contains(&item.text),
                "{}: {}",
                brief.key,
                item.name
            );
            bytes += item.text.len();
        }
        let budget = (brief.code.len() * 3 / 2).max(800);
        assert!(bytes <= budget, "{}: {bytes} > {budget}", brief.key);
    }
}

#[test]
fn a_brief_has_context_only_when_asked_and_the_templates_ignore_it() {
    let (without, with) = (Arc::default(), Arc::default());
    let plain = message_file(&spying(&without, false));
    let asked = message_file(&spying(&with, true));
    assert!(without.lock().unwrap().iter().all(|s| s.context.is_empty()));
    let with = with.lock().unwrap();
    let root = with
        .iter()
        .find(|s| s.key.starts_with("item:create_message"))
        .expect("the root's unit");
    let kinds: Vec<(&str, &str)> = root
        .context
        .iter()
        .map(|c| (c.kind, c.name.as_str()))
        .collect();
    assert!(kinds.contains(&("type", "MessageIn")), "{kinds:?}");
    assert!(
        kinds.contains(&("callee", "create_message_inner")),
        "{kinds:?}"
    );
    assert_quoted_from_the_crate(&with);
    let texts = |run: &Extracted| -> Vec<(String, String)> {
        run.examples
            .iter()
            .map(|e| (e.request.clone(), e.reasoning.clone()))
            .collect()
    };
    assert_eq!(texts(&plain), texts(&asked));
}

#[test]
fn in_crate_mode_a_unit_reaches_other_files() {
    let seen = Arc::default();
    message_crate(&spying(&seen, true));
    let seen = seen.lock().unwrap();
    let elsewhere: Vec<(&str, &str)> = seen
        .iter()
        .flat_map(|s| {
            s.context
                .iter()
                .filter(|c| c.path != s.path)
                .map(|c| (s.key.as_str(), c.name.as_str()))
        })
        .collect();
    assert!(
        elsewhere.contains(&(
            "item:create_message_inner",
            "CreateMessageApp::layered_fetch"
        )),
        "{elsewhere:?}"
    );
    assert_quoted_from_the_crate(&seen);
}

/// History mode: a commit's change to `create_message_inner` is told what the function reaches
/// in its file at that commit (and nothing without asking); a later change to it and to the
/// helper it calls is not told of the helper, which is its own code.
#[test]
fn history_briefs_have_their_items_context_when_asked() {
    const FILE: &str = "server/svix-server/src/v1/endpoints/message.rs";
    let dir = tempfile::tempdir().unwrap();
    let mut repo = TestRepo::init(dir.path());
    let first = std::fs::read_to_string(fixture("message.rs")).unwrap();
    let edit = |text: &str, from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        text.replace(from, to)
    };
    let second = edit(&first, "from_secs(60)", "from_secs(120)");
    let third = edit(
        &edit(&second, "from_secs(120)", "from_secs(180)"),
        "The application uid must match",
        "The application's uid must match",
    );
    repo.commit("Add the message endpoints", &[(FILE, Some(&first))]);
    repo.commit(
        "Keep the application in the cache for two minutes, it is read on every message",
        &[(FILE, Some(&second))],
    );
    repo.commit(
        "Keep the application cached for three minutes and say whose uid must match",
        &[(FILE, Some(&third))],
    );
    let repo = svix_distill::history::git::Repo::open(repo.path()).unwrap();
    let profile = Profile::load("message-creation").unwrap();
    let briefs = |context_for_writer: bool| {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let options = svix_distill::history::HistoryOptions {
            paths: vec![FILE.to_owned()],
            since: None,
            until: "HEAD".to_owned(),
            imports: svix_distill::extract::units::Imports::None,
            context_for_writer,
        };
        let writer = Spy {
            templates: pipeline::template_writer(&profile),
            seen: seen.clone(),
        };
        pipeline::extract_history(&repo, &profile, &options, &Default::default(), &writer).unwrap();
        drop(writer);
        Arc::into_inner(seen).unwrap().into_inner().unwrap()
    };
    assert!(briefs(false).iter().all(|s| s.context.is_empty()));
    let seen = briefs(true);
    let changes: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.key.starts_with("change:"))
        .collect();
    assert_eq!(
        changes.len(),
        2,
        "{:?}",
        seen.iter().map(|s| &s.key).collect::<Vec<_>>()
    );
    let names =
        |brief: &Seen| -> Vec<String> { brief.context.iter().map(|c| c.name.clone()).collect() };
    let (alone, with_helper) = (names(changes[0]), names(changes[1]));
    assert!(alone.contains(&"MessageIn".to_owned()), "{alone:?}");
    assert!(
        alone.contains(&"ensure_uid_matches".to_owned()),
        "{alone:?}"
    );
    assert!(
        with_helper.contains(&"MessageIn".to_owned()),
        "{with_helper:?}"
    );
    assert!(
        !with_helper.contains(&"ensure_uid_matches".to_owned()),
        "{with_helper:?}"
    );
    for (change, text) in changes.iter().zip([&second, &third]) {
        for item in &change.context {
            let first = item.text.lines().next().unwrap();
            let line = text.lines().nth(item.line - 1).unwrap();
            assert!(
                line.trim().starts_with(first.trim()),
                "{}: {line}",
                item.name
            );
            assert!(!change.code.contains(&item.text), "{}", item.name);
        }
    }
}
