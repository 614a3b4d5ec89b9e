//! The connector's rules as plain functions: checking a rule set against the CRM's fields,
//! filling a module's fields from a chat's facts, and what the update policy changes on a record
//! found. The connector (`connector.rs`) reads the facts and the CRM; everything it decides is
//! decided here, so it is tested without a CRM.

use crate::model::AppError;
use crate::model::crm_rules::{
    ATTACHMENTS, ConnectorRules, CrmFieldView, CrmModule, MatchRule, ModuleRules, OWNER, OurField,
    PanelFields, Source, UpdatePolicy,
};
use std::collections::BTreeMap;

/// The longest text written into one CRM field (Zoho's text areas hold 32,000 characters).
pub const MAX_FIELD_CHARS: usize = 32_000;

/// What the app knows about a chat and its client, in the rules' terms. Empty strings are "not
/// known" and are never written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub values: BTreeMap<&'static str, String>,
}

impl Facts {
    pub fn set(&mut self, field: OurField, value: impl Into<String>) {
        let value = value.into();
        if !value.trim().is_empty() {
            self.values.insert(field.as_str(), value.trim().to_owned());
        }
    }

    pub fn get(&self, field: OurField) -> Option<&str> {
        self.values.get(field.as_str()).map(String::as_str)
    }
}

/// A module's fields filled from the facts, in the mapping's order; whether the owner rule
/// applies (`Owner` ← agent) and whether the session's files are attached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filled {
    pub fields: Vec<(String, String)>,
    pub owner: bool,
    pub attachments: bool,
}

/// Fills `module`'s mapped fields from `facts`. Several of our fields mapped to one CRM field
/// (a Description) become labelled lines in the mapping's order; one alone is its value.
pub fn fill(module: &ModuleRules, facts: &Facts) -> Filled {
    let mut out = Filled {
        attachments: module.attaches(),
        ..Filled::default()
    };
    // Each CRM field once, in the mapping's order, with its values (and which fact each is).
    type Values = Vec<(Option<OurField>, String)>;
    let mut parts: Vec<(String, Values)> = Vec::new();
    for row in &module.fields {
        let (ours, value) = match &row.from {
            Source::Ours(OurField::Agent) if row.field == OWNER => {
                out.owner = true;
                continue;
            }
            Source::Ours(OurField::Attachments) => continue,
            Source::Ours(f) => match facts.get(*f) {
                Some(v) => (Some(*f), v.to_owned()),
                None if !row.otherwise.trim().is_empty() => {
                    (Some(*f), row.otherwise.trim().to_owned())
                }
                None => continue,
            },
            Source::Text(t) if t.trim().is_empty() => continue,
            Source::Text(t) => (None, t.trim().to_owned()),
        };
        match parts.iter_mut().find(|(f, _)| *f == row.field) {
            Some((_, list)) => list.push((ours, value)),
            None => parts.push((row.field.clone(), vec![(ours, value)])),
        }
    }
    for (field, list) in parts {
        let value = if list.len() == 1 {
            list.into_iter().next().map(|(_, v)| v).unwrap_or_default()
        } else {
            list.into_iter()
                .map(|(ours, v)| match ours {
                    Some(OurField::ChatContent) => {
                        format!("\n{}:\n{v}", OurField::ChatContent.label())
                    }
                    Some(f) => format!("{}: {v}", f.label()),
                    None => v,
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        out.fields.push((field, clip(&value)));
    }
    out
}

/// `text` cut to `MAX_FIELD_CHARS`, saying so at its end.
pub fn clip(text: &str) -> String {
    const CUT: &str = "\n… (cut: the CRM field is full)";
    if text.chars().count() <= MAX_FIELD_CHARS {
        return text.to_owned();
    }
    let keep = MAX_FIELD_CHARS - CUT.chars().count();
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(CUT);
    out
}

/// "Ada María Lovelace" → ("Ada María", "Lovelace"): CRMs require a last name, so one is
/// always given ("—" for no name at all).
pub fn split_name(name: &str) -> (Option<String>, String) {
    let name = name.trim();
    match name.rsplit_once(char::is_whitespace) {
        Some((first, last)) if !first.trim().is_empty() => {
            (Some(first.trim().to_owned()), last.to_owned())
        }
        _ => (
            None,
            if name.is_empty() {
                "—".into()
            } else {
                name.to_owned()
            },
        ),
    }
}

/// What the update policy writes on a record found: the fields whose value it changes.
pub fn changes(
    policy: UpdatePolicy,
    existing: &BTreeMap<String, String>,
    filled: &[(String, String)],
) -> Vec<(String, String)> {
    let empty = |field: &str| existing.get(field).is_none_or(|v| v.trim().is_empty());
    filled
        .iter()
        .filter(|(field, value)| match policy {
            UpdatePolicy::Keep => false,
            UpdatePolicy::Overwrite => existing.get(field.as_str()) != Some(value),
            UpdatePolicy::FillEmpty => empty(field),
        })
        .cloned()
        .collect()
}

/// The value a match rule compares, from the facts (None: this rule cannot look).
pub fn match_value<'a>(rule: &MatchRule, facts: &'a Facts) -> Option<&'a str> {
    match rule {
        MatchRule::Email => facts.get(OurField::Email),
        MatchRule::Phone => facts.get(OurField::Phone),
        MatchRule::Field { ours, .. } => facts.get(*ours),
    }
}

/// How a rule reads in a sentence ("email", "phone", "Portal_ID = client ID").
pub fn describe_rule(rule: &MatchRule) -> String {
    match rule {
        MatchRule::Email => "email".into(),
        MatchRule::Phone => "phone".into(),
        MatchRule::Field { field, ours } => format!("{field} = {}", ours.label().to_lowercase()),
    }
}

/// The longest rule set the CRM page may send, in bytes.
pub const MAX_RULES_BYTES: usize = 64 * 1024;
/// Rows of one module's mapping, and identification rules of one module, at most.
pub const MAX_ROWS: usize = 60;
pub const MAX_MATCH_RULES: usize = 10;
/// The longest CRM field name and fixed text a rule may hold.
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_TEXT_CHARS: usize = 1_000;

/// Reads the rules the CRM page sends (JSON), within the limits above.
pub fn parse(json: &str) -> Result<ConnectorRules, AppError> {
    if json.len() > MAX_RULES_BYTES {
        return Err(AppError::invalid(
            "rules",
            format!("The rules are longer than {} KiB.", MAX_RULES_BYTES / 1024),
        ));
    }
    let rules: ConnectorRules = serde_json::from_str(json)
        .map_err(|e| AppError::invalid("rules", format!("The rules do not read: {e}.")))?;
    for m in &rules.modules {
        let name = m.module.as_str();
        if m.fields.len() > MAX_ROWS || m.identify.len() > MAX_MATCH_RULES {
            return Err(refuse(
                m.module,
                format!(
                    "{name}: at most {MAX_ROWS} mapped fields and {MAX_MATCH_RULES} identification rules."
                ),
            ));
        }
        let names = m
            .fields
            .iter()
            .map(|r| r.field.as_str())
            .chain(m.identify.iter().filter_map(|r| match r {
                MatchRule::Field { field, .. } => Some(field.as_str()),
                _ => None,
            }));
        for field in names {
            if field.trim().is_empty() || field.chars().count() > MAX_NAME_CHARS {
                return Err(refuse(
                    m.module,
                    format!("{name}: a field name must have 1 to {MAX_NAME_CHARS} characters."),
                ));
            }
        }
        for row in &m.fields {
            let fixed = match &row.from {
                Source::Text(t) => t.as_str(),
                Source::Ours(_) => "",
            };
            if fixed.chars().count().max(row.otherwise.chars().count()) > MAX_TEXT_CHARS {
                return Err(refuse(
                    m.module,
                    format!(
                        "{name}.{}: a fixed text holds at most {MAX_TEXT_CHARS} characters.",
                        row.field
                    ),
                ));
            }
        }
    }
    Ok(rules)
}

fn refuse(module: CrmModule, message: String) -> AppError {
    AppError::invalid(module.as_str(), message)
}

/// Checks `rules` against each module's CRM fields: every mapped field and every field a match
/// rule names must exist and be writable, our agent maps only to the owner and our attachments
/// only to the attachments, and every field the CRM requires of a module the rules create must
/// be mapped. The error names the module and the field.
pub fn check(
    rules: &ConnectorRules,
    fields: &[(CrmModule, Vec<CrmFieldView>)],
) -> Result<(), AppError> {
    for module in CrmModule::ALL {
        if rules.modules.iter().filter(|m| m.module == module).count() != 1 {
            return Err(refuse(
                module,
                format!("The rules need exactly one {} section.", module.as_str()),
            ));
        }
    }
    let created: Vec<CrmModule> = match rules.mode.modules() {
        Some((person, session)) => vec![person, session],
        // Staff may create any of them from the chat.
        None => vec![
            CrmModule::Leads,
            CrmModule::Contacts,
            CrmModule::Tasks,
            CrmModule::Cases,
        ],
    };
    for m in &rules.modules {
        let known = fields
            .iter()
            .find(|(module, _)| *module == m.module)
            .map(|(_, f)| f.as_slice())
            .unwrap_or_default();
        let field_named = |name: &str| known.iter().find(|f| f.api_name == name);
        for row in &m.fields {
            match (&row.from, row.field.as_str()) {
                (Source::Ours(OurField::Attachments), ATTACHMENTS) => continue,
                (Source::Ours(OurField::Attachments), other) | (_, other @ ATTACHMENTS) => {
                    return Err(refuse(
                        m.module,
                        format!(
                            "{}: our attachments go to the record's attachments only, not to “{other}”.",
                            m.module.as_str()
                        ),
                    ));
                }
                (Source::Ours(OurField::Agent), OWNER) => continue,
                (Source::Ours(OurField::Agent), other) => {
                    return Err(refuse(
                        m.module,
                        format!(
                            "{}: the agent can only be the record's owner, not “{other}”.",
                            m.module.as_str()
                        ),
                    ));
                }
                _ => {}
            }
            if field_named(&row.field).is_none() {
                return Err(refuse(
                    m.module,
                    format!(
                        "{}: the CRM has no field “{}”.",
                        m.module.as_str(),
                        row.field
                    ),
                ));
            }
        }
        for rule in &m.identify {
            if let MatchRule::Field { field, .. } = rule
                && field_named(field).is_none()
            {
                return Err(refuse(
                    m.module,
                    format!(
                        "{}: the identification rule names “{field}”, which the CRM does not have.",
                        m.module.as_str()
                    ),
                ));
            }
        }
        if !created.contains(&m.module) {
            continue;
        }
        for f in known.iter().filter(|f| f.required && f.api_name != OWNER) {
            if !m.fields.iter().any(|row| row.field == f.api_name) {
                return Err(refuse(
                    m.module,
                    format!(
                        "{}: the CRM requires “{}” ({}), which nothing is mapped to.",
                        m.module.as_str(),
                        f.label,
                        f.api_name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The fields beside the chat as the CRM page sends them (JSON of `PanelFields`), within
/// `MAX_PANEL_BYTES`.
pub fn parse_panel(json: &str) -> Result<PanelFields, AppError> {
    if json.len() > MAX_PANEL_BYTES {
        return Err(AppError::invalid(
            "panel",
            format!("The fields are longer than {} KiB.", MAX_PANEL_BYTES / 1024),
        ));
    }
    serde_json::from_str(json)
        .map_err(|e| AppError::invalid("panel", format!("The fields do not read: {e}.")))
}

/// The longest `PanelFields` JSON accepted.
pub const MAX_PANEL_BYTES: usize = 16 * 1024;

/// Checks the fields picked for beside the chat against the CRM's: a lead's, contact's or
/// account's fields only, each one the module has, at most `PanelFields::MAX_FIELDS` each,
/// none twice.
pub fn check_panel(
    panel: &PanelFields,
    fields: &[(CrmModule, Vec<CrmFieldView>)],
) -> Result<(), AppError> {
    let bad = |message: String| Err(AppError::invalid("panel", message));
    for (n, m) in panel.modules.iter().enumerate() {
        let name = m.module.singular();
        if !PanelFields::MODULES.contains(&m.module) {
            return bad(format!(
                "Only a lead's, contact's or account's fields are shown beside a chat, not a {name}'s."
            ));
        }
        if panel.modules[..n].iter().any(|o| o.module == m.module) {
            return bad(format!("The {name} is listed twice."));
        }
        if m.fields.len() > PanelFields::MAX_FIELDS {
            return bad(format!(
                "At most {} fields of a {name} are shown.",
                PanelFields::MAX_FIELDS
            ));
        }
        let known = fields
            .iter()
            .find(|(module, _)| *module == m.module)
            .map(|(_, f)| f.as_slice())
            .unwrap_or(&[]);
        for (i, f) in m.fields.iter().enumerate() {
            if f == ATTACHMENTS || !known.iter().any(|k| &k.api_name == f) {
                return bad(format!("The CRM's {name} has no field {f}."));
            }
            if m.fields[..i].contains(f) {
                return bad(format!("{f} is picked twice for the {name}."));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::crm_rules::{ConnectorMode, FieldMap};

    fn facts() -> Facts {
        let mut f = Facts::default();
        f.set(OurField::Name, "Jane Client");
        f.set(OurField::Email, "jane@example.com");
        f.set(OurField::ChatId, "42");
        f.set(OurField::WrapUp, "  ");
        f.set(OurField::ChatContent, "[10:00] Jane: hi");
        f
    }

    fn field(name: &str, required: bool) -> CrmFieldView {
        CrmFieldView {
            api_name: name.into(),
            label: name.replace('_', " "),
            required,
        }
    }

    fn zoho_like() -> Vec<(CrmModule, Vec<CrmFieldView>)> {
        let common = ["Owner", "Description", "Email", "Phone"];
        let mut out = Vec::new();
        for (module, extra) in [
            (
                CrmModule::Leads,
                vec![
                    field("Last_Name", true),
                    field("Company", true),
                    field("Lead_Source", false),
                ],
            ),
            (CrmModule::Contacts, vec![field("Last_Name", true)]),
            (CrmModule::Accounts, vec![field("Account_Name", true)]),
            (
                CrmModule::Tasks,
                vec![field("Subject", true), field("Status", false)],
            ),
            (
                CrmModule::Cases,
                vec![
                    field("Subject", true),
                    field("Status", true),
                    field("Case_Origin", true),
                ],
            ),
        ] {
            let mut list: Vec<_> = common.iter().map(|n| field(n, false)).collect();
            list.extend(extra);
            out.push((module, list));
        }
        out
    }

    #[test]
    fn one_field_is_its_value_and_shared_fields_are_labelled_lines() {
        let rules = ConnectorRules::default();
        let cases = rules.module(CrmModule::Cases).unwrap();
        let filled = fill(cases, &facts());
        assert!(filled.owner && filled.attachments);
        let get = |name: &str| {
            filled
                .fields
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("Subject"), Some("Jane Client"));
        assert_eq!(get("Status"), Some("Closed"));
        assert_eq!(get("Phone"), None, "unknown facts are not written");
        let description = get("Description").unwrap();
        assert!(description.starts_with("Chat ID: 42\n"), "{description}");
        assert!(
            description.ends_with("Chat:\n[10:00] Jane: hi"),
            "{description}"
        );
        assert!(
            !description.contains("Wrap-up"),
            "a blank wrap-up is not a line"
        );
        let leads = fill(rules.module(CrmModule::Leads).unwrap(), &facts());
        assert!(
            leads
                .fields
                .contains(&("Company".to_owned(), "Not given".to_owned())),
            "a required field's fallback: {leads:?}"
        );
    }

    #[test]
    fn rules_from_the_page_are_read_within_limits() {
        let json = serde_json::to_string(&ConnectorRules::default()).unwrap();
        assert_eq!(parse(&json).unwrap(), ConnectorRules::default());
        assert!(parse("{").unwrap_err().for_field("rules").is_some());
        let mut long = ConnectorRules::default();
        long.modules[0].fields[5].from = Source::Text("x".repeat(MAX_TEXT_CHARS + 1));
        let e = parse(&serde_json::to_string(&long).unwrap()).unwrap_err();
        assert!(e.for_field("Leads").is_some(), "{e:?}");
        assert!(parse(&" ".repeat(MAX_RULES_BYTES + 1)).is_err());
    }

    #[test]
    fn long_text_is_cut_and_says_so() {
        let long = "x".repeat(MAX_FIELD_CHARS + 10);
        let cut = clip(&long);
        assert_eq!(cut.chars().count(), MAX_FIELD_CHARS);
        assert!(cut.ends_with("(cut: the CRM field is full)"));
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn each_update_policy_changes_what_it_says() {
        let existing: BTreeMap<String, String> = [
            ("Last_Name".to_owned(), "Old".to_owned()),
            ("Phone".to_owned(), String::new()),
        ]
        .into();
        let filled = vec![
            ("Last_Name".to_owned(), "New".to_owned()),
            ("Phone".to_owned(), "+1 555 0100".to_owned()),
            ("Email".to_owned(), "a@b.c".to_owned()),
        ];
        assert!(changes(UpdatePolicy::Keep, &existing, &filled).is_empty());
        assert_eq!(changes(UpdatePolicy::Overwrite, &existing, &filled), filled);
        let fill_empty = changes(UpdatePolicy::FillEmpty, &existing, &filled);
        assert_eq!(fill_empty, filled[1..].to_vec());
        let same: BTreeMap<String, String> = filled.iter().cloned().collect();
        assert!(changes(UpdatePolicy::Overwrite, &same, &filled).is_empty());
    }

    #[test]
    fn the_default_rules_pass_a_standard_crm() {
        check(&ConnectorRules::default(), &zoho_like()).unwrap();
        let sales = ConnectorRules {
            mode: ConnectorMode::Sales,
            ..Default::default()
        };
        check(&sales, &zoho_like()).unwrap();
    }

    #[test]
    fn a_missing_field_and_an_unmapped_required_field_are_named() {
        let mut rules = ConnectorRules::default();
        rules.modules[1].fields.push(FieldMap {
            field: "Nickname".into(),
            from: Source::Ours(OurField::Name),
            otherwise: String::new(),
        });
        let e = check(&rules, &zoho_like()).unwrap_err();
        assert!(e.to_string().contains("“Nickname”"), "{e}");
        assert!(e.for_field("Contacts").is_some());

        let mut rules = ConnectorRules::default();
        rules.modules[4].fields.retain(|r| r.field != "Case_Origin");
        let e = check(&rules, &zoho_like()).unwrap_err();
        assert!(e.to_string().contains("Case_Origin"), "{e}");
        // The same gap does not matter while cases are never created.
        rules.mode = ConnectorMode::Sales;
        check(&rules, &zoho_like()).unwrap();

        let mut rules = ConnectorRules::default();
        rules.modules[0].identify.push(MatchRule::Field {
            field: "Portal_ID".into(),
            ours: OurField::ClientId,
        });
        let e = check(&rules, &zoho_like()).unwrap_err();
        assert!(e.to_string().contains("Portal_ID"), "{e}");

        let mut rules = ConnectorRules::default();
        rules.modules[1].fields.push(FieldMap {
            field: "Description".into(),
            from: Source::Ours(OurField::Agent),
            otherwise: String::new(),
        });
        assert!(check(&rules, &zoho_like()).is_err());
    }

    #[test]
    fn panel_fields_are_the_crms_own_and_bounded() {
        let fields = vec![
            (
                CrmModule::Contacts,
                vec![CrmFieldView {
                    api_name: "Email".into(),
                    label: "Email".into(),
                    required: false,
                }],
            ),
            (CrmModule::Cases, Vec::new()),
        ];
        let mut panel = PanelFields::default();
        panel.toggle(CrmModule::Contacts, "Email", true);
        assert!(check_panel(&panel, &fields).is_ok());
        let refused = |p: &PanelFields| match check_panel(p, &fields) {
            Err(AppError::Invalid { message, .. }) => message,
            other => panic!("accepted: {other:?}"),
        };
        let mut unknown = panel.clone();
        unknown.toggle(CrmModule::Contacts, "Mood", true);
        assert!(refused(&unknown).contains("no field Mood"));
        let mut twice = panel.clone();
        twice.modules[0].fields.push("Email".into());
        assert!(refused(&twice).contains("picked twice"));
        let mut case = PanelFields::default();
        case.toggle(CrmModule::Cases, "Subject", true);
        assert!(refused(&case).contains("not a Case's"));
        let mut many = PanelFields::default();
        for n in 0..=PanelFields::MAX_FIELDS {
            many.toggle(CrmModule::Contacts, &format!("F{n}"), true);
        }
        assert!(refused(&many).contains("At most"));
        // Unchecking takes a field out again.
        panel.toggle(CrmModule::Contacts, "Email", false);
        assert!(panel.of(CrmModule::Contacts).is_empty());
        assert!(parse_panel(&"x".repeat(MAX_PANEL_BYTES + 1)).is_err());
        assert!(parse_panel("{\"modules\":[]}").is_ok());
    }
}
