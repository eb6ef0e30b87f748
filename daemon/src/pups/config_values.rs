//! Config values: the strings dogeboxd keeps per field (pups.md §5), their defaults,
//! how they carry over to a new version, and the `KEY=value` file services load.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use dogebox_shared::manifest::{ConfigField, ConfigOption, Manifest};
use serde_json::Value;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("config field {field}: {message}")]
    Value { field: String, message: String },
    #[error(
        "version {version} adds the required config field {field} ({label}) with no default; give it a value with --set {field}=VALUE"
    )]
    MissingRequired { version: String, field: String, label: String },
    #[error("{0:?} is not a config field of {1}; its fields are: {2}")]
    Unknown(String, String, String),
}

/// A field's value as dogeboxd stores it: JSON turned into a string by field type.
pub fn to_config_string(field: &ConfigField, value: &Value) -> Result<String, ConfigError> {
    let err = |message: String| ConfigError::Value { field: field.name().to_string(), message };
    match field.type_str() {
        "number" | "range" => match value {
            Value::Null => Ok(String::new()),
            Value::Number(n) => Ok(n.to_string()),
            Value::String(s) if s.is_empty() || s.trim().parse::<f64>().is_ok() => Ok(s.clone()),
            Value::String(s) => Err(err(format!("expected number, got {s:?}"))),
            other => Err(err(format!("expected number, got {}", json_type(other)))),
        },
        "toggle" | "checkbox" => match value {
            Value::Null => Ok(String::new()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok("true".into()),
                "false" | "0" | "no" | "off" => Ok("false".into()),
                _ => Err(err(format!("expected boolean, got {s:?}"))),
            },
            other => Err(err(format!("expected boolean, got {}", json_type(other)))),
        },
        _ => match value {
            Value::Null => Ok(String::new()),
            Value::String(s) => Ok(s.clone()),
            other => Ok(other.to_string()),
        },
    }
    .and_then(|s| check_value(field.name(), s))
    .and_then(|s| check_allowed(field, s))
}

/// What dogeboxd never checked: a number within `min`/`max`, a choice among the
/// field's `options`.
fn check_allowed(field: &ConfigField, s: String) -> Result<String, ConfigError> {
    let err = |message: String| ConfigError::Value { field: field.name().to_string(), message };
    match field.type_str() {
        "number" | "range" if !s.trim().is_empty() => {
            let n: f64 = s.trim().parse().map_err(|_| err(format!("expected number, got {s:?}")))?;
            if let Some(min) = field.min().filter(|m| n < *m) {
                return Err(err(format!("{s} is below the minimum {min}")));
            }
            if let Some(max) = field.max().filter(|m| n > *m) {
                return Err(err(format!("{s} is above the maximum {max}")));
            }
        }
        "select" | "radio" if !field.options().is_empty() => {
            let allowed: Vec<String> = field
                .options()
                .iter()
                .map(|o| match o {
                    ConfigOption::Plain(v) => v.clone(),
                    ConfigOption::Labeled(l) => match &l.value {
                        Some(Value::String(v)) => v.clone(),
                        Some(v) => v.to_string(),
                        None => String::new(),
                    },
                })
                .collect();
            if !allowed.contains(&s) {
                return Err(err(format!("{s:?} is not one of the choices: {}", allowed.join(", "))));
            }
        }
        _ => {}
    }
    Ok(s)
}

/// A value goes into an environment file: no NUL and no other control character
/// but tab and newline.
fn check_value(field: &str, s: String) -> Result<String, ConfigError> {
    match s.chars().find(|c| c.is_control() && *c != '\n' && *c != '\t') {
        Some(c) => Err(ConfigError::Value {
            field: field.to_string(),
            message: format!("control character U+{:04X} is not allowed", c as u32),
        }),
        None => Ok(s),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every field with a default, as strings (what a fresh install starts with).
pub fn defaults(manifest: &Manifest) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut out = BTreeMap::new();
    for field in manifest.config_fields() {
        if let Some(d) = field.default.as_ref().filter(|d| !d.is_null()) {
            out.insert(field.name().to_string(), to_config_string(field, d)?);
        }
    }
    Ok(out)
}

/// The config a pup has under a new version: values of fields the new version still
/// has are kept, new fields get their defaults, removed fields are dropped, and
/// `set` (given by the user for this upgrade) wins. With `require`, a required
/// field with no default and no value is an error naming it, raised before anything
/// changes (an install leaves it unset: the pup then needs config).
pub fn migrate(
    old: &BTreeMap<String, String>,
    new: &Manifest,
    set: &BTreeMap<String, String>,
    require: bool,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let fields: Vec<&ConfigField> = new.config_fields().collect();
    for key in set.keys() {
        if !fields.iter().any(|f| f.name() == key) {
            let names: Vec<&str> = fields.iter().map(|f| f.name()).collect();
            return Err(ConfigError::Unknown(
                key.clone(),
                format!("{} {}", new.name(), new.version_str()),
                if names.is_empty() { "(none)".into() } else { names.join(", ") },
            ));
        }
    }
    let mut out = BTreeMap::new();
    for field in fields {
        let name = field.name();
        let value = if let Some(v) = set.get(name) {
            if require && field.required() && v.trim().is_empty() {
                return Err(ConfigError::Value { field: name.to_string(), message: "is required; give it a value".into() });
            }
            Some(to_config_string(field, &Value::String(v.clone()))?)
        } else if let Some(v) = old.get(name) {
            Some(v.clone())
        } else if let Some(d) = field.default.as_ref().filter(|d| !d.is_null()) {
            Some(to_config_string(field, d)?)
        } else {
            None
        };
        match value {
            Some(v) => {
                out.insert(name.to_string(), v);
            }
            None if require && field.required() => {
                return Err(ConfigError::MissingRequired {
                    version: new.version_str().to_string(),
                    field: name.to_string(),
                    label: field.label().to_string(),
                });
            }
            None => {}
        }
    }
    Ok(out)
}

/// Whether a required field has no value (dogeboxd's NeedsConf, without its
/// "shown on install but never saved" half: config is not edited here yet).
pub fn needs_conf(manifest: &Manifest, config: &BTreeMap<String, String>) -> bool {
    manifest
        .config_fields()
        .filter(|f| f.required())
        .any(|f| config.get(f.name()).is_none_or(|v| v.trim().is_empty()))
}

/// One `KEY=value` line per key, keys sorted, with dogeboxd's quoting: a value with
/// a space, tab, newline, quote, backslash, `$` or backtick is double-quoted with
/// `\` and `"` escaped.
pub fn env_file_text(config: &BTreeMap<String, String>) -> String {
    let mut text = String::new();
    for (key, value) in config {
        text.push_str(key);
        text.push('=');
        if value.contains([' ', '\t', '\n', '"', '\'', '\\', '$', '`']) {
            text.push('"');
            text.push_str(&value.replace('\\', "\\\\").replace('"', "\\\""));
            text.push('"');
        } else {
            text.push_str(value);
        }
        text.push('\n');
    }
    text
}

/// Write the file atomically (temp file + rename), readable by root only: the
/// service manager reads it, and it may hold passwords.
pub fn write_env_file(path: &Path, config: &BTreeMap<String, String>) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| std::io::Error::other("config file has no folder"))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".config-").tempfile_in(dir)?;
    tmp.write_all(env_file_text(config).as_bytes())?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest(fields: Value) -> Manifest {
        let text = json!({
            "manifestVersion": 1,
            "meta": {"name": "p", "version": "2.0.0"},
            "config": {"sections": [{"name": "s", "label": "S", "fields": fields}]},
            "container": {"build": {"nixFile": "pup.nix", "nixFileSha256": "0".repeat(64)},
                "services": [{"name": "a", "command": {"exec": "/bin/a"}}]}
        });
        Manifest::parse(text.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn values_become_dogeboxd_strings() {
        let m = manifest(json!([
            {"name": "N", "label": "n", "type": "number", "default": 1.5},
            {"name": "T", "label": "t", "type": "toggle", "default": "Yes"},
            {"name": "S", "label": "s", "type": "text", "default": 22555}
        ]));
        let d = defaults(&m).unwrap();
        assert_eq!(d["N"], "1.5");
        assert_eq!(d["T"], "true");
        assert_eq!(d["S"], "22555");
        let n = m.config_fields().next().unwrap();
        assert_eq!(
            to_config_string(n, &json!("abc")).unwrap_err().to_string(),
            "config field N: expected number, got \"abc\""
        );
    }

    #[test]
    fn migration_keeps_adds_drops_and_stops_on_a_required_field() {
        let old: BTreeMap<String, String> =
            [("KEEP".to_string(), "mine".to_string()), ("GONE".to_string(), "x".to_string())].into();
        let m = manifest(json!([
            {"name": "KEEP", "label": "k", "type": "text", "default": "theirs"},
            {"name": "NEW", "label": "new", "type": "text", "default": "d"},
            {"name": "OPT", "label": "opt", "type": "text"}
        ]));
        let got = migrate(&old, &m, &BTreeMap::new(), true).unwrap();
        assert_eq!(got, [("KEEP".to_string(), "mine".to_string()), ("NEW".to_string(), "d".to_string())].into());

        let m = manifest(json!([{"name": "RPC_PASSWORD", "label": "RPC password", "type": "password", "required": true}]));
        let err = migrate(&old, &m, &BTreeMap::new(), true).unwrap_err();
        assert!(err.to_string().contains("RPC_PASSWORD") && err.to_string().contains("--set"), "{err}");
        let set = [("RPC_PASSWORD".to_string(), "s3cret".to_string())].into();
        assert_eq!(migrate(&old, &m, &set, true).unwrap()["RPC_PASSWORD"], "s3cret");
        let bad = [("NOPE".to_string(), "1".to_string())].into();
        assert!(matches!(migrate(&old, &m, &bad, true), Err(ConfigError::Unknown(..))));
        let ctl = [("RPC_PASSWORD".to_string(), "a\u{0}b".to_string())].into();
        assert!(matches!(migrate(&old, &m, &ctl, true), Err(ConfigError::Value { .. })));
    }

    #[test]
    fn numbers_stay_in_range_and_choices_among_the_options() {
        let m = manifest(json!([
            {"name": "N", "label": "n", "type": "number", "min": 1, "max": 10},
            {"name": "S", "label": "s", "type": "select", "options": ["a", {"label": "B", "value": "b"}]},
            {"name": "R", "label": "r", "type": "text", "required": true}
        ]));
        let set = |k: &str, v: &str| -> BTreeMap<String, String> {
            [(k.to_string(), v.to_string()), ("R".to_string(), "x".to_string())].into()
        };
        let none = BTreeMap::new();
        assert!(migrate(&none, &m, &set("N", "10"), true).is_ok());
        assert!(migrate(&none, &m, &set("N", "11"), true).unwrap_err().to_string().contains("maximum 10"));
        assert!(migrate(&none, &m, &set("N", "0"), true).unwrap_err().to_string().contains("minimum 1"));
        assert!(migrate(&none, &m, &set("S", "b"), true).is_ok());
        assert!(migrate(&none, &m, &set("S", "c"), true).unwrap_err().to_string().contains("a, b"));
        let empty: BTreeMap<String, String> = [("R".to_string(), " ".to_string())].into();
        assert!(migrate(&none, &m, &empty, true).unwrap_err().to_string().contains("required"));
    }

    #[test]
    fn a_required_field_without_a_value_needs_config() {
        let m = manifest(json!([{"name": "HOST", "label": "host", "type": "text", "required": true}]));
        assert!(needs_conf(&m, &BTreeMap::new()));
        assert!(needs_conf(&m, &[("HOST".to_string(), "  ".to_string())].into()));
        assert!(!needs_conf(&m, &[("HOST".to_string(), "node.local".to_string())].into()));
    }

    #[test]
    fn env_file_quotes_like_dogeboxd() {
        let c: BTreeMap<String, String> = [
            ("B".to_string(), "plain".to_string()),
            ("A".to_string(), "say \"hi\" $HOME \\ ok".to_string()),
        ]
        .into();
        assert_eq!(env_file_text(&c), "A=\"say \\\"hi\\\" $HOME \\\\ ok\"\nB=plain\n");
        assert_eq!(env_file_text(&BTreeMap::new()), "");
    }
}
