//! Forms (`docs/protocol.md` section 16): the checks a site's form
//! definitions pass at start-up, and what a submission becomes: checked
//! values, profile fields filled in, labels in the visitor's locale, and
//! the plain-text rendering stored as the message's `text`.

use std::collections::BTreeMap;

use natter::protocol::{
    check_text, is_form_name, FieldError, FieldType, FieldValue, Form, FormField, FormOption, FormSubmission, Forms,
    LocalText, Profile, SubmittedField, SubmittedForm, MAX_FORM_FIELDS, MAX_FORM_OPTIONS, MAX_TEXT_CHARS,
    MAX_TICKET_FORMS, OFFLINE_FORM, PRE_CHAT_FORM,
};
use serde::Deserialize;

/// The locale every visible text must have, and the fallback of the others.
pub const FALLBACK_LOCALE: &str = "en-US";

/// How a checkbox's value reads in a submission's plain text.
pub const CHECKED: &str = "yes";
pub const UNCHECKED: &str = "no";

// ---------------------------------------------------------------------------
// Definitions in the config file
// ---------------------------------------------------------------------------

/// `[sites.forms]` as written in the config file: the wire's shapes and
/// names, but an unknown key is an error (the wire's types take unknown
/// keys, so that older clients read newer configs; a config file must not
/// silently drop a misspelt `maxLength`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
struct FormsConfig {
    pre_chat: Option<FormConfig>,
    offline: Option<FormConfig>,
    tickets: BTreeMap<String, FormConfig>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FormConfig {
    title: Option<LocalText>,
    intro: Option<LocalText>,
    submit_label: Option<LocalText>,
    fields: Vec<FieldConfig>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FieldConfig {
    name: String,
    #[serde(rename = "type")]
    kind: FieldType,
    label: LocalText,
    help: Option<LocalText>,
    #[serde(default)]
    required: bool,
    max_length: Option<u32>,
    #[serde(default)]
    options: Vec<OptionConfig>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionConfig {
    value: String,
    label: LocalText,
}

/// Reads `[sites.forms]` strictly, into the forms as the wire carries them.
pub fn from_config<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Forms, D::Error> {
    FormsConfig::deserialize(de).map(Forms::from)
}

impl From<FormsConfig> for Forms {
    fn from(config: FormsConfig) -> Forms {
        Forms {
            pre_chat: config.pre_chat.map(Form::from),
            offline: config.offline.map(Form::from),
            tickets: config.tickets.into_iter().map(|(name, form)| (name, Form::from(form))).collect(),
        }
    }
}

impl From<FormConfig> for Form {
    fn from(f: FormConfig) -> Form {
        Form {
            title: f.title,
            intro: f.intro,
            submit_label: f.submit_label,
            fields: f.fields.into_iter().map(FormField::from).collect(),
        }
    }
}

impl From<FieldConfig> for FormField {
    fn from(f: FieldConfig) -> FormField {
        FormField {
            name: f.name,
            kind: f.kind,
            label: f.label,
            help: f.help,
            required: f.required,
            max_length: f.max_length,
            options: f.options.into_iter().map(|o| FormOption { value: o.value, label: o.label }).collect(),
        }
    }
}

/// The demo site's forms, in `[sites.forms]`'s format.
const DEMO_FORMS: &str = include_str!("demo-forms.toml");

/// The demo site's forms ([`DEMO_FORMS`]; a unit test keeps them valid).
pub fn demo_forms() -> Forms {
    parse_demo_forms().unwrap_or_default()
}

fn parse_demo_forms() -> Result<Forms, basic_toml::Error> {
    basic_toml::from_str::<FormsConfig>(DEMO_FORMS).map(Forms::from)
}

// ---------------------------------------------------------------------------
// Checks at start-up
// ---------------------------------------------------------------------------

/// Checks a site's forms; the error names the form and the field.
pub fn check(forms: &Forms) -> Result<(), String> {
    if forms.tickets.len() > MAX_TICKET_FORMS {
        return Err(format!("forms.tickets: at most {MAX_TICKET_FORMS} ticket forms"));
    }
    let named =
        forms.pre_chat.iter().map(|f| (PRE_CHAT_FORM, f)).chain(forms.offline.iter().map(|f| (OFFLINE_FORM, f)));
    for (name, form) in named {
        check_form(form).map_err(|e| format!("forms.{name}: {e}"))?;
    }
    for (name, form) in &forms.tickets {
        if !is_form_name(name) || name == PRE_CHAT_FORM || name == OFFLINE_FORM {
            return Err(format!(
                "forms.tickets.{name}: a ticket form's name is a letter, then up to 63 letters, digits, _ or -, \
                 and neither {PRE_CHAT_FORM} nor {OFFLINE_FORM}"
            ));
        }
        check_form(form).map_err(|e| format!("forms.tickets.{name}: {e}"))?;
    }
    Ok(())
}

fn check_form(form: &Form) -> Result<(), String> {
    if form.fields.is_empty() || form.fields.len() > MAX_FORM_FIELDS {
        return Err(format!("fields: 1 to {MAX_FORM_FIELDS} fields"));
    }
    let texts = [("title", &form.title), ("intro", &form.intro), ("submitLabel", &form.submit_label)];
    for (key, text) in texts {
        if let Some(text) = text {
            check_local(text).map_err(|e| format!("{key}: {e}"))?;
        }
    }
    let mut names = std::collections::HashSet::new();
    for field in &form.fields {
        let name = &field.name;
        if !is_form_name(name) {
            return Err(format!("field {name:?}: a field name is a letter, then up to 63 letters, digits, _ or -"));
        }
        if !names.insert(name.as_str()) {
            return Err(format!("field {name}: defined twice"));
        }
        check_field(field).map_err(|e| format!("field {name}: {e}"))?;
    }
    Ok(())
}

fn check_field(field: &FormField) -> Result<(), String> {
    check_local(&field.label).map_err(|e| format!("label: {e}"))?;
    if let Some(help) = &field.help {
        check_local(help).map_err(|e| format!("help: {e}"))?;
    }
    let select = field.kind == FieldType::Select;
    if select {
        if field.options.is_empty() || field.options.len() > MAX_FORM_OPTIONS {
            return Err(format!("options: a select has 1 to {MAX_FORM_OPTIONS} options"));
        }
        let mut values = std::collections::HashSet::new();
        for option in &field.options {
            if !values.insert(option.value.as_str()) {
                return Err(format!("options: value {:?} given twice", option.value));
            }
            check_local(&option.label).map_err(|e| format!("option {:?} label: {e}", option.value))?;
        }
    } else if !field.options.is_empty() {
        return Err("options: only a select has options".into());
    }
    match field.max_length {
        Some(_) if !is_text_like(field.kind) => Err("maxLength: only text-like fields have one".into()),
        Some(n) if n == 0 || n as usize > MAX_TEXT_CHARS => Err(format!("maxLength: 1 to {MAX_TEXT_CHARS}")),
        _ => Ok(()),
    }
}

/// Every visible text has an `en-US` entry, and no entry is empty.
fn check_local(text: &LocalText) -> Result<(), String> {
    if let Some((locale, _)) = text.iter().find(|(_, t)| t.trim().is_empty()) {
        return Err(format!("the {locale} text is empty"));
    }
    if !text.contains_key(FALLBACK_LOCALE) {
        return Err(format!("needs an {FALLBACK_LOCALE} text"));
    }
    Ok(())
}

fn is_text_like(kind: FieldType) -> bool {
    !matches!(kind, FieldType::Select | FieldType::Checkbox)
}

// ---------------------------------------------------------------------------
// Submissions
// ---------------------------------------------------------------------------

/// A text in `locale` (compared without case), else in en-US, else the first.
pub fn localize<'a>(text: &'a LocalText, locale: Option<&str>) -> &'a str {
    let exact = locale.and_then(|l| text.iter().find(|(k, _)| k.eq_ignore_ascii_case(l)));
    exact.or_else(|| text.get_key_value(FALLBACK_LOCALE)).or_else(|| text.iter().next()).map_or("", |(_, t)| t)
}

/// The profile's value of a profile field (`name`, `email`, `phone`).
fn profile_value<'a>(profile: &'a Profile, field: &str) -> Option<&'a str> {
    let value = match field {
        "name" => profile.nickname.as_deref(),
        "email" => profile.email.as_deref(),
        "phone" => profile.phone.as_deref(),
        _ => None,
    };
    value.filter(|v| !v.trim().is_empty())
}

/// The pre-chat form still has a required field the visitor's profile does
/// not fill: the first message of a new conversation must be a submission.
pub fn pre_chat_pending(forms: &Forms, profile: &Profile) -> bool {
    forms
        .pre_chat
        .as_ref()
        .is_some_and(|form| form.fields.iter().any(|f| f.required && profile_value(profile, &f.name).is_none()))
}

/// Checks a submission against its form and builds what is stored: fields
/// in the form's order, profile fields left out filled from `profile`,
/// labels in `locale`. `Err` maps each refused field to its problem.
pub fn submit(
    form: &Form,
    submission: &FormSubmission,
    profile: &Profile,
    locale: Option<&str>,
) -> Result<SubmittedForm, BTreeMap<String, FieldError>> {
    let mut errors = BTreeMap::new();
    for name in submission.values.keys() {
        if !form.fields.iter().any(|f| &f.name == name) {
            errors.insert(name.clone(), FieldError::Unknown);
        }
    }
    let mut fields = Vec::new();
    for field in &form.fields {
        let value = match submission.values.get(&field.name) {
            Some(v) => Some(v.clone()),
            None => profile_value(profile, &field.name).map(|v| FieldValue::Text(v.to_string())),
        };
        match check_value(field, value.as_ref()) {
            Ok(()) => {}
            Err(e) => {
                errors.insert(field.name.clone(), e);
                continue;
            }
        }
        if let Some(value) = value.filter(|v| !is_blank(v)) {
            let label = localize(&field.label, locale).to_string();
            fields.push(SubmittedField { name: field.name.clone(), label, value: trimmed(value) });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let title = form.title.as_ref().map(|t| localize(t, locale).to_string());
    Ok(SubmittedForm { name: submission.name.clone(), title, fields })
}

fn check_value(field: &FormField, value: Option<&FieldValue>) -> Result<(), FieldError> {
    match (field.kind, value) {
        (FieldType::Checkbox, None | Some(FieldValue::Checked(false))) if field.required => Err(FieldError::Required),
        (FieldType::Checkbox, None | Some(FieldValue::Checked(_))) => Ok(()),
        (FieldType::Checkbox, Some(FieldValue::Text(_))) | (_, Some(FieldValue::Checked(_))) => Err(FieldError::Type),
        (FieldType::Select, value) => {
            let text = match value {
                Some(FieldValue::Text(t)) => t.trim(),
                _ => "",
            };
            if text.is_empty() {
                return if field.required { Err(FieldError::Required) } else { Ok(()) };
            }
            if field.options.iter().any(|o| o.value == text) {
                Ok(())
            } else {
                Err(FieldError::Option)
            }
        }
        (kind, value) => {
            let text = match value {
                Some(FieldValue::Text(t)) => t.as_str(),
                _ => "",
            };
            check_text(kind, field.required, field.max_length.unwrap_or(kind.default_max_chars()), text)
        }
    }
}

/// An empty text is left out of the stored form; an unchecked box is kept.
fn is_blank(value: &FieldValue) -> bool {
    matches!(value, FieldValue::Text(t) if t.trim().is_empty())
}

fn trimmed(value: FieldValue) -> FieldValue {
    match value {
        FieldValue::Text(t) => FieldValue::Text(t.trim().to_string()),
        checked => checked,
    }
}

/// The same submission: the same form and values (labels may differ if the
/// visitor's locale changed between a send and its retry).
pub fn same_submission(a: &SubmittedForm, b: &SubmittedForm) -> bool {
    a.name == b.name
        && a.fields.len() == b.fields.len()
        && a.fields.iter().zip(&b.fields).all(|(x, y)| x.name == y.name && x.value == y.value)
}

/// The plain-text rendering stored as the message's `text`: the title, then
/// one `label: value` line per field (a checkbox reads [`CHECKED`] or
/// [`UNCHECKED`]).
pub fn plain_text(form: &SubmittedForm) -> String {
    let mut lines: Vec<String> = form.title.iter().cloned().collect();
    for field in &form.fields {
        let value = match &field.value {
            FieldValue::Text(t) => t.as_str(),
            FieldValue::Checked(true) => CHECKED,
            FieldValue::Checked(false) => UNCHECKED,
        };
        lines.push(format!("{}: {value}", field.label));
    }
    lines.join("\n")
}

/// A submission that may open a conversation the pre-chat form guards.
pub fn opens_conversation(name: &str) -> bool {
    name == PRE_CHAT_FORM || name == OFFLINE_FORM
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(en: &str) -> LocalText {
        LocalText::from([("en-US".to_string(), en.to_string()), ("zh-CN".to_string(), format!("中{en}"))])
    }

    fn field(name: &str, kind: FieldType, required: bool) -> FormField {
        FormField {
            name: name.into(),
            kind,
            label: text(name),
            help: None,
            required,
            max_length: None,
            options: Vec::new(),
        }
    }

    fn form() -> Form {
        let mut topic = field("topic", FieldType::Select, true);
        topic.options = vec![FormOption { value: "a".into(), label: text("A") }];
        let mut order = field("order", FieldType::Text, false);
        order.max_length = Some(5);
        Form {
            title: Some(text("Refund")),
            fields: vec![field("email", FieldType::Email, true), topic, order, field("ok", FieldType::Checkbox, true)],
            ..Form::default()
        }
    }

    fn values(pairs: &[(&str, FieldValue)]) -> FormSubmission {
        FormSubmission {
            name: "refund".into(),
            values: pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        }
    }

    fn t(s: &str) -> FieldValue {
        FieldValue::Text(s.into())
    }

    #[test]
    fn every_field_error() {
        let sub = values(&[
            ("email", t("nope")),
            ("topic", t("b")),
            ("order", t("123456")),
            ("ok", t("yes")),
            ("extra", t("x")),
        ]);
        let errors = submit(&form(), &sub, &Profile::default(), None).unwrap_err();
        let expected = [
            ("email", FieldError::Email),
            ("extra", FieldError::Unknown),
            ("ok", FieldError::Type),
            ("order", FieldError::TooLong),
            ("topic", FieldError::Option),
        ];
        assert_eq!(errors, expected.iter().map(|(k, v)| (k.to_string(), *v)).collect());
        let errors = submit(&form(), &values(&[("order", FieldValue::Checked(true))]), &Profile::default(), None);
        let errors = errors.unwrap_err();
        assert_eq!(errors["email"], FieldError::Required);
        assert_eq!(errors["topic"], FieldError::Required);
        assert_eq!(errors["ok"], FieldError::Required);
        assert_eq!(errors["order"], FieldError::Type);
    }

    #[test]
    fn profile_fill_locale_and_text() {
        let profile = Profile { email: Some("a@b.example".into()), ..Profile::default() };
        let sub = values(&[("topic", t(" a ")), ("ok", FieldValue::Checked(true))]);
        let stored = submit(&form(), &sub, &profile, Some("zh-cn")).unwrap();
        assert_eq!(stored.title.as_deref(), Some("中Refund"));
        assert_eq!(stored.fields[0].value, t("a@b.example"));
        assert_eq!(stored.fields[1].value, t("a"), "trimmed");
        assert_eq!(stored.fields.len(), 3, "the empty optional field is left out");
        assert_eq!(plain_text(&stored), "中Refund\n中email: a@b.example\n中topic: a\n中ok: yes");
        let english = submit(&form(), &sub, &profile, Some("fr")).unwrap();
        assert_eq!(english.fields[0].label, "email");
        assert!(same_submission(&stored, &english));
    }

    #[test]
    fn pre_chat_pending_until_the_profile_fills_it() {
        let forms = Forms {
            pre_chat: Some(Form { fields: vec![field("email", FieldType::Email, true)], ..Form::default() }),
            ..Forms::default()
        };
        assert!(pre_chat_pending(&forms, &Profile::default()));
        assert!(!pre_chat_pending(&forms, &Profile { email: Some("a@b.c".into()), ..Profile::default() }));
        assert!(!pre_chat_pending(&Forms::default(), &Profile::default()));
    }

    #[test]
    fn the_demo_forms_are_valid() {
        let forms = parse_demo_forms().unwrap();
        assert!(forms.pre_chat.is_none(), "the demo asks for no pre-chat form");
        assert!(forms.offline.is_some() && forms.tickets.contains_key("refund"));
        assert_eq!(check(&forms), Ok(()));
    }

    #[test]
    fn definitions() {
        let ok = Forms { tickets: BTreeMap::from([("refund".to_string(), form())]), ..Forms::default() };
        assert_eq!(check(&ok), Ok(()));
        let mut bad = ok.clone();
        bad.tickets.insert("offline".into(), form());
        assert!(check(&bad).unwrap_err().contains("forms.tickets.offline"));
        let broken = |edit: fn(&mut Form)| {
            let mut f = form();
            edit(&mut f);
            check(&Forms { offline: Some(f), ..Forms::default() }).unwrap_err()
        };
        assert!(broken(|f| f.fields[1].options.clear()).contains("forms.offline: field topic: options"));
        assert!(broken(|f| f.fields[0].max_length = Some(0)).contains("field email: maxLength"));
        assert!(broken(|f| f.fields[3].max_length = Some(4)).contains("field ok: maxLength"));
        assert!(broken(|f| f.fields[0].label.remove("en-US").map_or((), drop)).contains("field email: label"));
        assert!(broken(|f| f.fields[2].name = "email".into()).contains("field email: defined twice"));
        assert!(broken(|f| f.fields[2].name = "1x".into()).contains("field \"1x\""));
        assert!(broken(|f| f.fields.clear()).contains("fields: 1 to"));
        assert!(broken(|f| f.title = Some(LocalText::from([("en-US".into(), " ".into())]))).contains("title"));
    }
}
