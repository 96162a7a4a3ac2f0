use std::path::Path;
use svix_distill::facts::{LocalNames, item_facts};
use svix_distill::profile::Profile;
use svix_distill::select::{Inventory, Kind, select_creation_items};
use svix_distill::source::SourceFile;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let source = SourceFile::read(Path::new(&args[1])).unwrap();
    let profile = Profile::load(
        args.get(2)
            .map(String::as_str)
            .unwrap_or("message-creation"),
    )
    .unwrap();
    let file = source.parse().unwrap();
    let inv = Inventory::new(&source, &file);
    let sel = select_creation_items(&inv, &profile, &[]).unwrap();
    let mut names = LocalNames::default();
    for e in &inv.entries {
        match e.kind {
            Kind::Fn => names.fns.push(e.name.clone()),
            Kind::Struct | Kind::Enum | Kind::Type | Kind::Trait => {
                names.types.push(e.name.clone())
            }
            _ => {}
        }
    }
    for s in &sel.items {
        let e = &inv.entries[s.entry];
        println!("== {} {}", e.kind.label(), e.name);
        for f in item_facts(&source, e.item, &names) {
            println!("  {}", serde_json::to_string(&f).unwrap());
        }
    }
}
