//! The template writer: wording kept in `templates/` and the profile, picked by the facts a unit
//! shows. [`render`] decides which section applies and fills it; [`rules`] holds the reasoning
//! rules that take more than one fact to see; `variety` steers each choice away from what the
//! run already said. [`TemplateWriter`] puts them behind the [`Writer`] seam.
//!
//! It hands on a request and a reasoning per brief, as plain strings, and the ids of the rules
//! the reasoning drew on.

pub mod render;
pub mod rules;
mod variety;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::write::{self, Brief, Exhausted, Text, Writer};
use render::{Insights, Salt, Templates, UnitView, Usage};
use rules::{FileFacts, Rule};

/// The templates and rules of one profile as a [`Writer`]. What the run said so far (for
/// generation, the variety measures; for history, which phrasings were used and every text
/// given) lives inside, so one value serves one file's units or one history, in order.
pub struct TemplateWriter<'p> {
    templates: &'p Templates,
    rules: &'p [Rule],
    said: Mutex<Said>,
}

/// What a template writer has said: the steering state of each mode.
#[derive(Default)]
struct Said {
    variety: variety::Variety,
    /// The key of the unit the variety's piece cache holds sentences of.
    unit: Option<String>,
    /// The index of the file the last brief came from, with that file's facts: a file's
    /// briefs share one `Arc`, so it is indexed once, not once per example.
    file: Option<(write::FileFacts, Arc<FileFacts>)>,
    history: HistorySaid,
}

/// History mode's steering: which phrasings were used, so that each example prefers the ones
/// used least, and every request and reasoning given, none of which is given again.
#[derive(Default)]
struct HistorySaid {
    usage: Usage,
    requests: HashSet<String>,
    reasonings: HashSet<String>,
}

/// How many phrasings to try before a commit's example is given up as a repeat.
const HISTORY_ATTEMPTS: usize = 16;

impl<'p> TemplateWriter<'p> {
    /// A writer with nothing said yet.
    pub fn new(templates: &'p Templates, rules: &'p [Rule]) -> TemplateWriter<'p> {
        TemplateWriter {
            templates,
            rules,
            said: Mutex::new(Said::default()),
        }
    }

    /// The index of the brief's file, made when the file is not the last brief's.
    fn file_index(&self, brief: &Brief) -> Arc<FileFacts> {
        let mut said = self.lock();
        match &said.file {
            Some((facts, index)) if Arc::ptr_eq(facts, &brief.file_facts) => index.clone(),
            _ => {
                let index = Arc::new(FileFacts::new(brief.file_facts.iter().map(Vec::as_slice)));
                said.file = Some((brief.file_facts.clone(), index.clone()));
                index
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Said> {
        // A poisoned lock only means another thread panicked mid-write: the state is still whole.
        self.said.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A generation example: of the fresh phrasings, the one that repeats the run least.
    fn write_unit(&self, view: &UnitView, insights: &Insights, brief: &Brief) -> Option<Text> {
        let mut said = self.lock();
        let said = &mut *said;
        // The piece cache holds one unit's sentences: a new unit starts it afresh.
        if said.unit.as_deref() != Some(brief.key.as_str()) {
            said.variety.pieces.clear();
            said.unit = Some(brief.key.clone());
        }
        let rendered = variety::render_unique(
            view,
            insights,
            brief.voice,
            brief.variant,
            self.templates,
            &said.variety,
        )?;
        let text = Text {
            request: rendered.request,
            reasoning: rendered.reasoning.text,
            rules: rendered.reasoning.rules,
            model: None,
        };
        said.variety.add(
            rendered.measured,
            &rendered.picks,
            &text.request,
            &text.reasoning,
        );
        Some(text)
    }

    /// A history example: the first phrasing whose reasoning was not given before; none when
    /// its request was (the commit's message already made an example).
    fn write_commit(
        &self,
        view: &UnitView,
        insights: &Insights,
        brief: &Brief,
        history: &crate::write::HistoryBrief,
    ) -> Option<Text> {
        let mut said = self.lock();
        let said = &mut said.history;
        for attempt in 0..HISTORY_ATTEMPTS {
            let picks = std::cell::RefCell::new(Vec::new());
            let salt = Salt::new(self.templates, &format!("{}#{attempt}", brief.key), 0)
                .steered(&said.usage, &picks);
            let (request, reasoning) = match &history.change {
                Some(change) => (
                    render::render_history_request(
                        history.message,
                        Some(change.before_code),
                        &salt,
                    ),
                    render::render_change_reasoning(view, change.changes, &salt, insights),
                ),
                None => (
                    render::render_history_request(history.message, None, &salt),
                    render::render_reasoning(view, &salt, insights),
                ),
            };
            if said.requests.contains(&request) {
                return None;
            }
            if said.reasonings.contains(&reasoning.text) {
                continue;
            }
            said.usage.commit(&picks.into_inner());
            said.requests.insert(request.clone());
            said.reasonings.insert(reasoning.text.clone());
            return Some(Text {
                request,
                reasoning: reasoning.text,
                rules: reasoning.rules,
                model: None,
            });
        }
        None
    }
}

impl Writer for TemplateWriter<'_> {
    fn write(&self, brief: &Brief) -> anyhow::Result<Text> {
        let file = self.file_index(brief);
        let view = UnitView {
            key: brief.key.clone(),
            role: brief.role,
            work: crate::extract::units::work_of(
                brief.role,
                brief.items.get(brief.primary).map_or(&[], |i| i.facts),
            ),
            name: brief.name.clone(),
            callees: brief.callees.clone(),
            items: brief
                .items
                .iter()
                .map(|i| (i.name.to_owned(), i.facts))
                .collect(),
            primary: brief.primary,
            route: brief.route,
            called_by_root: brief.called_by_root,
            field_of: brief.field_of.clone(),
            file: &file,
        };
        let insights = render::insights(&view, self.rules);
        let text = match &brief.history {
            Some(history) => self.write_commit(&view, &insights, brief, history),
            None => self.write_unit(&view, &insights, brief),
        };
        text.ok_or_else(|| Exhausted.into())
    }
}
