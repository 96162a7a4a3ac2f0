//! The dataset card of an `--all-routes` folder: a `README.md` whose YAML front matter lists one
//! Hugging Face config per operation (its train file and, when split, its validation file), so
//! that `datasets.load_dataset(DIR, "v1.message.create")` loads one operation, and whose text
//! says where the data comes from (repository, commit, license), how it was made (the tool's
//! version and options) and what it holds (examples, units, tokens per operation).
//!
//! The front matter is written by a YAML serializer, not by hand: operation ids and file names
//! are data, and a quoting mistake would only show when the Hub or `datasets` reads the card.

use serde::Serialize;

/// One operation's dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The config name: the aide operation id (`v1.message.create`), or the derived name of a
    /// route without one.
    pub name: String,
    /// `METHOD /full/path` of the operation's route.
    pub route: String,
    /// The train file, relative to the folder; None when every example of the operation went
    /// to the validation side (whole groups of units are split, across every operation).
    pub train: Option<String>,
    /// The validation file, relative to the folder, when the run split one.
    pub valid: Option<String>,
    pub examples: usize,
    pub units: usize,
    /// Tokens (o200k_base) of every line's message contents.
    pub tokens: usize,
    /// Units of other operations this one reaches (listed in their first operation's dataset).
    pub shared: usize,
}

/// What a card says beside its configs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The source repository, as a URL or path.
    pub repository: String,
    /// The source's commit, when the input is in a git work tree.
    pub commit: Option<String>,
    /// The source's license, as an SPDX id (`mit`), lowercase as the Hub's metadata wants it.
    pub license: String,
    pub tool_version: String,
    /// The options the run was given, as on its command line.
    pub options: Vec<String>,
    pub configs: Vec<Config>,
}

#[derive(Serialize)]
struct FrontMatter<'a> {
    license: &'a str,
    pretty_name: &'a str,
    task_categories: [&'a str; 1],
    tags: [&'a str; 3],
    configs: Vec<FrontConfig<'a>>,
}

#[derive(Serialize)]
struct FrontConfig<'a> {
    config_name: &'a str,
    data_files: Vec<DataFile<'a>>,
}

#[derive(Serialize)]
struct DataFile<'a> {
    split: &'a str,
    path: &'a str,
}

/// The title every card has: what tells a card this tool wrote from another README.md.
const TITLE: &str = "# svix-server operations, distilled\n";

/// Whether `text` is a card this tool wrote (which a run may replace).
pub fn is_card(text: &str) -> bool {
    text.starts_with("---\n") && text.contains(&format!("\n{TITLE}"))
}

impl Card {
    /// The card's YAML front matter, between its `---` lines.
    pub fn front_matter(&self) -> String {
        let configs = self
            .configs
            .iter()
            .map(|config| {
                let mut data_files = Vec::new();
                if let Some(train) = &config.train {
                    data_files.push(DataFile {
                        split: "train",
                        path: train,
                    });
                }
                if let Some(valid) = &config.valid {
                    data_files.push(DataFile {
                        split: "validation",
                        path: valid,
                    });
                }
                FrontConfig {
                    config_name: &config.name,
                    data_files,
                }
            })
            .collect();
        let front = FrontMatter {
            license: &self.license,
            pretty_name: "svix-server operations, distilled",
            task_categories: ["text-generation"],
            tags: ["code", "rust", "svix"],
            configs,
        };
        // Plain strings, lists and maps: serializing cannot fail.
        yaml_serde::to_string(&front).unwrap_or_default()
    }

    /// The whole `README.md`.
    pub fn render(&self) -> String {
        let mut out = format!("---\n{}---\n\n", self.front_matter());
        out.push_str(TITLE);
        out.push('\n');
        out.push_str(
            "Training examples made by back-translation from svix-server's code: for each \
             operation (one route), code units as byte-exact slices of the source, each with \
             the request a maintainer would have made for it and the reasoning behind it. One \
             config per operation, named by its aide operation id.\n\n",
        );
        out.push_str("## Source\n\n");
        out.push_str(&format!("- repository: {}\n", self.repository));
        if let Some(commit) = &self.commit {
            out.push_str(&format!("- commit: {commit}\n"));
        }
        out.push_str(&format!(
            "- license of the source: {} (the code in every example is the source's own)\n\n",
            self.license.to_uppercase()
        ));
        out.push_str("## How it was made\n\n");
        out.push_str(&format!("svix-distill {}", self.tool_version));
        if !self.options.is_empty() {
            out.push_str(&format!(", run as `{}`", self.options.join(" ")));
        }
        out.push_str(
            ". An item several operations reach (a helper, an error constructor) is a unit of \
             the first operation's dataset only, in route order; the others count it as shared. \
             A validation file holds whole groups of units across all operations, so no item \
             is on both sides.\n\n",
        );
        out.push_str("## Operations\n\n");
        out.push_str("| config | route | examples | units | shared | tokens |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        let mut totals = (0, 0, 0);
        for config in &self.configs {
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {} | {} | {} |\n",
                config.name,
                config.route,
                config.examples,
                config.units,
                config.shared,
                config.tokens
            ));
            totals.0 += config.examples;
            totals.1 += config.units;
            totals.2 += config.tokens;
        }
        out.push_str(&format!(
            "| all | | {} | {} | | {} |\n\n",
            totals.0, totals.1, totals.2
        ));
        out.push_str(&format!(
            "Load one operation with `datasets.load_dataset(\"path/to/this/folder\", \"{}\")`.\n",
            self.configs
                .first()
                .map_or("v1.message.create", |config| config.name.as_str())
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> Card {
        Card {
            repository: "https://github.com/svix/svix-webhooks".to_owned(),
            commit: Some("4fc0cfb8b426c87ef7e2b937e7d896a71d456a47".to_owned()),
            license: "mit".to_owned(),
            tool_version: "0.1.0".to_owned(),
            options: vec![
                "--all-routes".to_owned(),
                "--valid".to_owned(),
                "0.1".to_owned(),
            ],
            configs: vec![
                Config {
                    name: "v1.message.create".to_owned(),
                    route: "POST /api/v1/app/{app_id}/msg".to_owned(),
                    train: Some("v1.message.create.jsonl".to_owned()),
                    valid: Some("v1.message.create.valid.jsonl".to_owned()),
                    examples: 18,
                    units: 9,
                    tokens: 20400,
                    shared: 0,
                },
                Config {
                    // A name YAML would read as something else unquoted.
                    name: "yes: no #1".to_owned(),
                    route: "GET /health".to_owned(),
                    train: Some("yes: no #1.jsonl".to_owned()),
                    valid: None,
                    examples: 2,
                    units: 1,
                    tokens: 900,
                    shared: 1,
                },
            ],
        }
    }

    /// What the Hub and `datasets` read: one config per operation with its files by split,
    /// whatever characters the names hold.
    #[test]
    fn the_front_matter_lists_a_config_per_operation() {
        let yaml: yaml_serde::Value = yaml_serde::from_str(&card().front_matter()).unwrap();
        assert_eq!(yaml["license"].as_str(), Some("mit"));
        let configs = yaml["configs"].as_sequence().unwrap();
        assert_eq!(configs.len(), 2);
        assert_eq!(
            configs[0]["config_name"].as_str(),
            Some("v1.message.create")
        );
        let files = configs[0]["data_files"].as_sequence().unwrap();
        let pairs: Vec<(&str, &str)> = files
            .iter()
            .map(|f| (f["split"].as_str().unwrap(), f["path"].as_str().unwrap()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("train", "v1.message.create.jsonl"),
                ("validation", "v1.message.create.valid.jsonl")
            ]
        );
        assert_eq!(configs[1]["config_name"].as_str(), Some("yes: no #1"));
        assert_eq!(configs[1]["data_files"].as_sequence().unwrap().len(), 1);
    }

    #[test]
    fn the_text_gives_the_source_the_tool_and_the_counts() {
        let text = card().render();
        assert!(text.starts_with("---\nlicense: mit\n"), "{text}");
        for needle in [
            "- repository: https://github.com/svix/svix-webhooks",
            "- commit: 4fc0cfb8b426c87ef7e2b937e7d896a71d456a47",
            "license of the source: MIT",
            "svix-distill 0.1.0, run as `--all-routes --valid 0.1`",
            "| `v1.message.create` | `POST /api/v1/app/{app_id}/msg` | 18 | 9 | 0 | 20400 |",
            "| all | | 20 | 10 | | 21300 |",
        ] {
            assert!(text.contains(needle), "{needle} not in\n{text}");
        }
    }
}
