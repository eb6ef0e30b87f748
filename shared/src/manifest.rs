//! `manifest.json`: the pup manifest, parsed the way dogeboxd (Go `encoding/json`) parses it and
//! validated with dogeboxd's checks and messages, plus the checks dogeboxd lacked.
//!
//! Every field is an `Option` so that a `null` in the file stays `null` when the manifest is
//! serialised again (absent fields come back as `null`). Use the accessor methods, which turn
//! absent values into Go's zero values (`""`, `false`, `0`, empty list).

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};
use thiserror::Error;

use crate::hash::is_sha256_hex;
use crate::paths::{
    METADATA_FILE_LIMIT, PathError, ReadError, read_regular_file, safe_relative_path,
};
use crate::version::{VersionError, parse_version};

/// File name of the manifest inside a pup folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Config field types dogeboxd accepts.
pub const CONFIG_FIELD_TYPES: &[&str] = &[
    "text", "password", "number", "toggle", "email", "textarea", "select", "checkbox", "radio",
    "date", "range", "color",
];

// ---------------------------------------------------------------------------------------------
// Types

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Manifest {
    pub manifest_version: Option<i64>,
    pub meta: Option<Meta>,
    pub config: Option<Config>,
    pub container: Option<Container>,
    pub interfaces: Option<Vec<Interface>>,
    pub dependencies: Option<Vec<Dependency>>,
    pub metrics: Option<Vec<Metric>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Meta {
    pub name: Option<String>,
    pub version: Option<String>,
    pub logo_path: Option<String>,
    pub short_description: Option<String>,
    pub long_description: Option<String>,
    pub upstream_versions: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Config {
    pub show_on_install: Option<bool>,
    pub sections: Option<Vec<ConfigSection>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConfigSection {
    pub name: Option<String>,
    pub label: Option<String>,
    pub fields: Option<Vec<ConfigField>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConfigField {
    pub name: Option<String>,
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub field_type: Option<String>,
    pub required: Option<bool>,
    pub placeholder: Option<String>,
    pub help: Option<String>,
    /// Any JSON; dogeboxd turns it into a string at adopt time.
    pub default: Option<Value>,
    // Numbers are kept as written (1 stays 1, not 1.0) so they round-trip unchanged.
    pub min: Option<Number>,
    pub max: Option<Number>,
    pub step: Option<Number>,
    /// Choices for `select` / `radio`. Not in dogeboxd's struct (it dropped them although the pups
    /// README documents them); added on purpose. Not required, because dogeboxd never required it.
    pub options: Option<Vec<ConfigOption>>,
}

/// One choice of a select/radio field: either `"value"` or `{"label": …, "value": …}`. The form
/// written is the form serialised.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ConfigOption {
    Plain(String),
    Labeled(LabeledOption),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LabeledOption {
    pub label: Option<String>,
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    pub build: Option<Build>,
    pub services: Option<Vec<Service>>,
    pub exposes: Option<Vec<Expose>>,
    pub requires_internet: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Build {
    pub nix_file: Option<String>,
    pub nix_file_sha256: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Service {
    pub name: Option<String>,
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Command {
    pub exec: Option<String>,
    pub cwd: Option<String>,
    pub env: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Expose {
    pub name: Option<String>,
    /// Raw `type`; see [`Expose::kind`].
    #[serde(rename = "type")]
    pub expose_type: Option<String>,
    /// Go `int`: out-of-range values parse and are rejected by `validate` with dogeboxd's message.
    #[serde(deserialize_with = "de_port")]
    pub port: Option<i64>,
    pub interfaces: Option<Vec<String>>,
    pub listen_on_host: Option<bool>,
    #[serde(rename = "webUI")]
    pub web_ui: Option<bool>,
}

/// The two expose types dogeboxd knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExposeKind {
    Http,
    Tcp,
}

impl ExposeKind {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "http" => Some(Self::Http),
            "tcp" => Some(Self::Tcp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Tcp => "tcp",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Interface {
    pub name: Option<String>,
    pub version: Option<String>,
    pub permission_groups: Option<Vec<PermissionGroup>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PermissionGroup {
    pub name: Option<String>,
    pub description: Option<String>,
    pub severity: Option<i64>,
    pub routes: Option<Vec<String>>,
    pub port: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Dependency {
    pub interface_name: Option<String>,
    pub interface_version: Option<String>,
    pub permission_groups: Option<Vec<String>>,
    pub source: Option<DependencySource>,
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DependencySource {
    pub source_location: Option<String>,
    pub pup_name: Option<String>,
    pub pup_version: Option<String>,
    pub pup_logo_base64: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Metric {
    pub name: Option<String>,
    pub label: Option<String>,
    /// `string`, `int` or `float` (not validated, as in dogeboxd).
    #[serde(rename = "type")]
    pub metric_type: Option<String>,
    pub history: Option<i64>,
    pub description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Errors of [`Manifest::parse`], [`Manifest::validate`] and [`Manifest::load_dir`]. The
/// messages carry dogeboxd's prefixes; the inner error has the bare message.
#[derive(Debug, Error)]
pub enum ManifestError {
    #[error("failed to read manifest.json: {0}")]
    Read(ReadError),
    #[error("failed to parse manifest.json: {0}")]
    Parse(ParseError),
    #[error("manifest validation failed: {0}")]
    Invalid(ValidationError),
}

/// Invalid JSON, or a value of the wrong JSON type (with its JSON path).
#[derive(Debug)]
pub enum ParseError {
    Syntax(serde_json::Error),
    /// `path` is like `container.exposes[0].port`, or `.` for the document itself.
    Type {
        path: String,
        message: String,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(e) => write!(f, "{e}"),
            Self::Type { path, message } if path == "." => write!(f, "{message}"),
            Self::Type { path, message } => write!(f, "{path}: {message}"),
        }
    }
}

impl std::error::Error for ParseError {}

const SERVICE_NAME_RULE: &str =
    "use 1 to 64 characters from A-Z a-z 0-9 _ . -, starting with a letter or digit";
const ENV_NAME_RULE: &str = "use [A-Za-z_][A-Za-z0-9_]*";
const EXEC_RULE: &str = "must be an absolute path inside the build output: start with /, name a file, no .. component, no $ or % (systemd would expand them)";

/// A manifest that parsed but is not acceptable. The first group are dogeboxd's checks with its
/// exact messages; the rest are checks dogeboxd lacked.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ValidationError {
    #[error("unknown manifest version: {0}")]
    UnknownManifestVersion(i64),
    #[error("manifest meta.name is required")]
    NameRequired,
    #[error("manifest meta.version is required")]
    VersionRequired,
    #[error("manifest container.build.nixFile is required")]
    NixFileRequired,
    #[error("manifest container.build.nixFileSha256 is required")]
    NixFileSha256Required,
    #[error("service name is required")]
    ServiceNameRequired,
    #[error("service {service} must have a non-empty exec command")]
    ServiceExecRequired { service: String },
    #[error("expose name is required")]
    ExposeNameRequired,
    #[error("expose port must be between 1 and 65535")]
    ExposePortRange { expose: String, port: i64 },
    #[error("expose type must be one of: http, tcp")]
    ExposeType { expose: String, value: String },
    #[error("config section name is required")]
    ConfigSectionNameRequired,
    #[error("config field name is required in section {section}")]
    ConfigFieldNameRequired { section: String },
    #[error("config field {field} in section {section} must have a label")]
    ConfigFieldLabelRequired { field: String, section: String },
    #[error("config field {field} in section {section} has invalid type {value}")]
    ConfigFieldType {
        field: String,
        section: String,
        value: String,
    },
    #[error("duplicate config field name: {field}")]
    DuplicateConfigField { field: String },
    #[error("config field {field} step must be greater than zero")]
    ConfigFieldStep { field: String },
    #[error("config field {field} min cannot be greater than max")]
    ConfigFieldMinMax { field: String },

    // Not in dogeboxd.
    #[error("manifest meta.version {0}")]
    Version(VersionError),
    #[error(transparent)]
    Path(PathError),
    #[error(
        "manifest container.build.nixFileSha256 {value:?} must be 64 lowercase hex characters (a sha256 digest)"
    )]
    NixFileSha256Format { value: String },
    #[error("service name {service:?} is invalid: {SERVICE_NAME_RULE}")]
    ServiceNameInvalid { service: String },
    #[error("duplicate service name: {service}")]
    DuplicateServiceName { service: String },
    #[error("service {service} exec {exec:?} {EXEC_RULE}")]
    ServiceExecInvalid { service: String, exec: String },
    #[error("service {service} exec contains a NUL character")]
    ServiceExecNul { service: String },
    #[error(
        "service {service} cwd {cwd:?} must stay inside the build output: no .. component, no NUL"
    )]
    ServiceCwdInvalid { service: String, cwd: String },
    #[error(
        "service {service} env key {key:?} is not a valid environment variable name: {ENV_NAME_RULE}"
    )]
    EnvKeyInvalid { service: String, key: String },
    #[error("service {service} env {key} value contains a NUL character")]
    EnvValueNul { service: String, key: String },
    #[error(
        "service {service} env key {key} is reserved: DBX_* variables are set by the daemon"
    )]
    EnvKeyReserved { service: String, key: String },
    #[error("manifest meta.name {name:?} {NAME_RULE}")]
    NameInvalid { name: String },
    #[error(
        "config field name {field:?} is not a valid environment variable name (config values reach the pup as environment variables): {ENV_NAME_RULE}"
    )]
    ConfigFieldNameInvalid { field: String },
    #[error("config field {field} is reserved: DBX_* variables are set by the daemon")]
    ConfigFieldNameReserved { field: String },
    #[error("manifest container.services is empty: a pup needs at least one service to run")]
    NoServices,
}

/// What a pup name may be: it is shown in tables and typed in commands.
const NAME_RULE: &str = "must be 1 to 100 characters with no control characters";

/// Whether `name` is acceptable as `meta.name` (see [`NAME_RULE`]).
pub fn is_pup_name(name: &str) -> bool {
    (1..=100).contains(&name.chars().count()) && !name.chars().any(char::is_control)
}

// ---------------------------------------------------------------------------------------------
// Parsing, loading, validation

impl Manifest {
    /// Parses manifest.json bytes like Go `encoding/json`: keys match case-insensitively, unknown
    /// keys are ignored, `null` means absent. Does not validate.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        parse_json(bytes, &MANIFEST).map_err(ManifestError::Parse)
    }

    /// Reads `<dir>/manifest.json` (a regular file, not a symlink, at most 1 MiB), parses and
    /// validates it.
    pub fn load_dir(dir: &Path) -> Result<Manifest, ManifestError> {
        let bytes = read_regular_file(&dir.join(MANIFEST_FILE), METADATA_FILE_LIMIT)
            .map_err(ManifestError::Read)?;
        let manifest = Self::parse(&bytes)?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// dogeboxd's checks in its order, then the stricter ones. Returns the first failure.
    pub fn validate(&self) -> Result<(), ManifestError> {
        self.validate_like_dogeboxd()
            .and_then(|()| self.validate_strict())
            .map_err(ManifestError::Invalid)
    }

    fn validate_like_dogeboxd(&self) -> Result<(), ValidationError> {
        use ValidationError as E;
        let version = self.manifest_version.unwrap_or(0);
        if version != 1 {
            return Err(E::UnknownManifestVersion(version));
        }
        if self.name().is_empty() {
            return Err(E::NameRequired);
        }
        if self.version_str().is_empty() {
            return Err(E::VersionRequired);
        }
        if self.nix_file().is_empty() {
            return Err(E::NixFileRequired);
        }
        if self.nix_file_sha256().is_empty() {
            return Err(E::NixFileSha256Required);
        }
        for service in self.services() {
            if service.name().is_empty() {
                return Err(E::ServiceNameRequired);
            }
            if service.exec().is_empty() {
                return Err(E::ServiceExecRequired {
                    service: service.name().to_owned(),
                });
            }
        }
        for expose in self.exposes() {
            if expose.name().is_empty() {
                return Err(E::ExposeNameRequired);
            }
            let port = expose.port.unwrap_or(0);
            if !(1..=65535).contains(&port) {
                return Err(E::ExposePortRange {
                    expose: expose.name().to_owned(),
                    port,
                });
            }
            if expose.kind().is_none() {
                let value = expose.type_str().to_owned();
                return Err(E::ExposeType {
                    expose: expose.name().to_owned(),
                    value,
                });
            }
        }
        let mut seen = HashSet::new();
        for section in self.config_sections() {
            let s = section.name();
            if s.is_empty() {
                return Err(E::ConfigSectionNameRequired);
            }
            for field in section.fields() {
                let f = field.name();
                if f.is_empty() {
                    return Err(E::ConfigFieldNameRequired {
                        section: s.to_owned(),
                    });
                }
                if field.label().is_empty() {
                    return Err(E::ConfigFieldLabelRequired {
                        field: f.to_owned(),
                        section: s.to_owned(),
                    });
                }
                let ty = field.type_str();
                if !CONFIG_FIELD_TYPES.contains(&ty) {
                    let (field, section, value) = (f.to_owned(), s.to_owned(), ty.to_owned());
                    return Err(E::ConfigFieldType {
                        field,
                        section,
                        value,
                    });
                }
                if !seen.insert(f) {
                    return Err(E::DuplicateConfigField {
                        field: f.to_owned(),
                    });
                }
                if ty == "number" {
                    if field.step().is_some_and(|step| step <= 0.0) {
                        return Err(E::ConfigFieldStep {
                            field: f.to_owned(),
                        });
                    }
                    if let (Some(min), Some(max)) = (field.min(), field.max())
                        && min > max
                    {
                        return Err(E::ConfigFieldMinMax {
                            field: f.to_owned(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn validate_strict(&self) -> Result<(), ValidationError> {
        use ValidationError as E;
        if !is_pup_name(self.name()) {
            let name: String = self.name().chars().take(100).collect();
            return Err(E::NameInvalid { name });
        }
        parse_version(self.version_str()).map_err(E::Version)?;
        if self.services().is_empty() {
            return Err(E::NoServices);
        }
        if let Some(logo) = self.logo_path() {
            safe_relative_path("meta.logoPath", logo).map_err(E::Path)?;
        }
        self.nix_file_path().map_err(E::Path)?;
        let sha = self.nix_file_sha256();
        if !is_sha256_hex(sha) {
            return Err(E::NixFileSha256Format {
                value: sha.to_owned(),
            });
        }
        for field in self.config_fields() {
            let f = field.name();
            if !is_env_name(f) {
                return Err(E::ConfigFieldNameInvalid { field: f.chars().take(100).collect() });
            }
            if f.starts_with("DBX_") {
                return Err(E::ConfigFieldNameReserved { field: f.to_owned() });
            }
        }
        let mut names = HashSet::new();
        for service in self.services() {
            let name = service.name();
            let owned = || name.to_owned();
            if !is_service_name(name) {
                return Err(E::ServiceNameInvalid { service: owned() });
            }
            if !names.insert(name) {
                return Err(E::DuplicateServiceName { service: owned() });
            }
            let exec = service.exec();
            if exec.contains('\0') {
                return Err(E::ServiceExecNul { service: owned() });
            }
            if !is_exec_path(exec) {
                return Err(E::ServiceExecInvalid {
                    service: owned(),
                    exec: exec.to_owned(),
                });
            }
            let cwd = service.cwd();
            if cwd.contains('\0') || cwd.split('/').any(|part| part == "..") {
                return Err(E::ServiceCwdInvalid {
                    service: owned(),
                    cwd: cwd.to_owned(),
                });
            }
            for (key, value) in service.env() {
                if !is_env_name(key) {
                    return Err(E::EnvKeyInvalid {
                        service: owned(),
                        key: key.clone(),
                    });
                }
                if key.starts_with("DBX_") {
                    return Err(E::EnvKeyReserved {
                        service: owned(),
                        key: key.clone(),
                    });
                }
                if value.contains('\0') {
                    return Err(E::EnvValueNul {
                        service: owned(),
                        key: key.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// `[A-Za-z0-9][A-Za-z0-9_.-]{0,63}`: safe in a systemd unit name and a Nix attribute.
pub fn is_service_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphanumeric()
                && rest.len() <= 63
                && rest
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        }
        None => false,
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`: a name systemd and shells accept as an environment variable.
/// Config field names become env vars too (config.env), and are checked with it.
pub fn is_env_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        }
        None => false,
    }
}

fn is_exec_path(exec: &str) -> bool {
    exec.starts_with('/')
        && !exec.contains(['$', '%'])
        && !exec.chars().any(char::is_control)
        && !exec.trim_matches('/').is_empty()
        && !exec.split('/').any(|part| part == "..")
}

// ---------------------------------------------------------------------------------------------
// Accessors (absent = Go zero value)

fn s(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

fn list<T>(value: &Option<Vec<T>>) -> &[T] {
    value.as_deref().unwrap_or(&[])
}

static EMPTY_MAP: BTreeMap<String, String> = BTreeMap::new();

impl Manifest {
    fn meta_str(&self, get: fn(&Meta) -> &Option<String>) -> &str {
        self.meta.as_ref().map_or("", |m| s(get(m)))
    }

    fn build(&self) -> Option<&Build> {
        self.container.as_ref().and_then(|c| c.build.as_ref())
    }

    /// `meta.name`: the pup's identity within a source.
    pub fn name(&self) -> &str {
        self.meta_str(|m| &m.name)
    }

    /// `meta.version` as written (the store and dogeboxd key on this string).
    pub fn version_str(&self) -> &str {
        self.meta_str(|m| &m.version)
    }

    /// `meta.version` parsed and normalised (`v1.2` → `1.2.0`).
    pub fn version(&self) -> Result<semver::Version, VersionError> {
        parse_version(self.version_str())
    }

    /// `meta.logoPath`, `None` when absent or empty.
    pub fn logo_path(&self) -> Option<&str> {
        Some(self.meta_str(|m| &m.logo_path)).filter(|p| !p.is_empty())
    }

    pub fn short_description(&self) -> &str {
        self.meta_str(|m| &m.short_description)
    }

    pub fn long_description(&self) -> &str {
        self.meta_str(|m| &m.long_description)
    }

    pub fn upstream_versions(&self) -> &BTreeMap<String, String> {
        self.meta
            .as_ref()
            .and_then(|m| m.upstream_versions.as_ref())
            .unwrap_or(&EMPTY_MAP)
    }

    /// `container.build.nixFile` as written.
    pub fn nix_file(&self) -> &str {
        self.build().map_or("", |b| s(&b.nix_file))
    }

    /// `container.build.nixFile` checked and normalised, ready to join onto the pup folder.
    pub fn nix_file_path(&self) -> Result<PathBuf, PathError> {
        safe_relative_path("container.build.nixFile", self.nix_file())
    }

    pub fn nix_file_sha256(&self) -> &str {
        self.build().map_or("", |b| s(&b.nix_file_sha256))
    }

    pub fn services(&self) -> &[Service] {
        self.container.as_ref().map_or(&[], |c| list(&c.services))
    }

    pub fn exposes(&self) -> &[Expose] {
        self.container.as_ref().map_or(&[], |c| list(&c.exposes))
    }

    pub fn requires_internet(&self) -> bool {
        self.container
            .as_ref()
            .and_then(|c| c.requires_internet)
            .unwrap_or(false)
    }

    pub fn show_on_install(&self) -> bool {
        self.config
            .as_ref()
            .and_then(|c| c.show_on_install)
            .unwrap_or(false)
    }

    pub fn config_sections(&self) -> &[ConfigSection] {
        self.config.as_ref().map_or(&[], |c| list(&c.sections))
    }

    /// Every config field of every section, in order.
    pub fn config_fields(&self) -> impl Iterator<Item = &ConfigField> {
        self.config_sections().iter().flat_map(|s| s.fields())
    }

    pub fn interfaces(&self) -> &[Interface] {
        list(&self.interfaces)
    }

    pub fn dependencies(&self) -> &[Dependency] {
        list(&self.dependencies)
    }

    pub fn metrics(&self) -> &[Metric] {
        list(&self.metrics)
    }
}

impl Service {
    pub fn name(&self) -> &str {
        s(&self.name)
    }

    pub fn exec(&self) -> &str {
        self.command.as_ref().map_or("", Command::exec)
    }

    pub fn cwd(&self) -> &str {
        self.command.as_ref().map_or("", Command::cwd)
    }

    /// Static env of the service; `null` or absent is empty.
    pub fn env(&self) -> &BTreeMap<String, String> {
        self.command.as_ref().map_or(&EMPTY_MAP, Command::env)
    }
}

impl Command {
    pub fn exec(&self) -> &str {
        s(&self.exec)
    }

    pub fn cwd(&self) -> &str {
        s(&self.cwd)
    }

    pub fn env(&self) -> &BTreeMap<String, String> {
        self.env.as_ref().unwrap_or(&EMPTY_MAP)
    }
}

impl Expose {
    pub fn name(&self) -> &str {
        s(&self.name)
    }

    /// `None` only for a manifest that has not passed `validate`.
    pub fn kind(&self) -> Option<ExposeKind> {
        ExposeKind::parse(self.type_str())
    }

    pub fn type_str(&self) -> &str {
        s(&self.expose_type)
    }

    /// Port inside the container; 0 only for a manifest that has not passed `validate`.
    pub fn port(&self) -> u16 {
        self.port.and_then(|p| u16::try_from(p).ok()).unwrap_or(0)
    }

    pub fn web_ui(&self) -> bool {
        self.web_ui.unwrap_or(false)
    }

    pub fn listen_on_host(&self) -> bool {
        self.listen_on_host.unwrap_or(false)
    }

    pub fn interfaces(&self) -> &[String] {
        list(&self.interfaces)
    }
}

impl ConfigSection {
    pub fn name(&self) -> &str {
        s(&self.name)
    }

    pub fn label(&self) -> &str {
        s(&self.label)
    }

    pub fn fields(&self) -> &[ConfigField] {
        list(&self.fields)
    }
}

impl ConfigField {
    pub fn name(&self) -> &str {
        s(&self.name)
    }

    pub fn label(&self) -> &str {
        s(&self.label)
    }

    pub fn type_str(&self) -> &str {
        s(&self.field_type)
    }

    pub fn required(&self) -> bool {
        self.required.unwrap_or(false)
    }

    pub fn min(&self) -> Option<f64> {
        self.min.as_ref().and_then(Number::as_f64)
    }

    pub fn max(&self) -> Option<f64> {
        self.max.as_ref().and_then(Number::as_f64)
    }

    pub fn step(&self) -> Option<f64> {
        self.step.as_ref().and_then(Number::as_f64)
    }

    pub fn options(&self) -> &[ConfigOption] {
        list(&self.options)
    }
}

impl Interface {
    pub fn name(&self) -> &str {
        s(&self.name)
    }

    pub fn version(&self) -> &str {
        s(&self.version)
    }

    pub fn permission_groups(&self) -> &[PermissionGroup] {
        list(&self.permission_groups)
    }
}

impl PermissionGroup {
    pub fn name(&self) -> &str {
        s(&self.name)
    }

    pub fn routes(&self) -> &[String] {
        list(&self.routes)
    }
}

impl Dependency {
    pub fn interface_name(&self) -> &str {
        s(&self.interface_name)
    }

    /// Constraint text (Masterminds syntax in dogeboxd), not parsed here.
    pub fn interface_version(&self) -> &str {
        s(&self.interface_version)
    }

    pub fn permission_groups(&self) -> &[String] {
        list(&self.permission_groups)
    }

    pub fn optional(&self) -> bool {
        self.optional.unwrap_or(false)
    }
}

impl Metric {
    pub fn name(&self) -> &str {
        s(&self.name)
    }

    pub fn history(&self) -> i64 {
        self.history.unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------------
// serde helpers

/// Accepts any JSON integer (Go `int`) so the range check and its message stay in `validate`;
/// other JSON types fail as for a `u16`.
fn de_port<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    struct PortVisitor;

    impl<'de> Visitor<'de> for PortVisitor {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("u16")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
        }
    }

    deserializer.deserialize_option(PortVisitor)
}

impl<'de> Deserialize<'de> for ConfigOption {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OptionVisitor;

        impl<'de> Visitor<'de> for OptionVisitor {
            type Value = ConfigOption;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an object with label and value")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ConfigOption::Plain(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(ConfigOption::Plain(v))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                LabeledOption::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ConfigOption::Labeled)
            }
        }

        deserializer.deserialize_any(OptionVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Go-style key matching
//
// serde matches keys exactly, Go `encoding/json` case-insensitively. Before deserialising, the
// parsed JSON is rewritten against a schema of the known keys: keys are renamed to their
// canonical spelling, unknown keys dropped, and repeated keys combined the way Go decodes into
// the same field (null keeps the earlier value, objects and maps merge, the rest is replaced).
// Map keys (env, upstreamVersions) are data and are never renamed.

/// Shape of a JSON value, for key normalisation and for the schema drift test.
#[derive(Debug)]
pub(crate) enum Shape {
    Str,
    Bool,
    Int,
    Num,
    Any,
    /// A struct with its canonical keys.
    Obj(&'static [(&'static str, Shape)]),
    Arr(&'static Shape),
    Map(&'static Shape),
}

use Shape::{Any, Arr, Bool, Int, Num, Obj, Str};

static OPTION: Shape = Obj(&[("label", Str), ("value", Any)]);
static FIELD: Shape = Obj(&[
    ("name", Str),
    ("label", Str),
    ("type", Str),
    ("required", Bool),
    ("placeholder", Str),
    ("help", Str),
    ("default", Any),
    ("min", Num),
    ("max", Num),
    ("step", Num),
    ("options", Arr(&OPTION)),
]);
static SECTION: Shape = Obj(&[("name", Str), ("label", Str), ("fields", Arr(&FIELD))]);
static SERVICE: Shape = Obj(&[
    ("name", Str),
    (
        "command",
        Obj(&[("exec", Str), ("cwd", Str), ("env", Shape::Map(&Str))]),
    ),
]);
static EXPOSE: Shape = Obj(&[
    ("name", Str),
    ("type", Str),
    ("port", Int),
    ("interfaces", Arr(&Str)),
    ("listenOnHost", Bool),
    ("webUI", Bool),
]);
static PERMISSION_GROUP: Shape = Obj(&[
    ("name", Str),
    ("description", Str),
    ("severity", Int),
    ("routes", Arr(&Str)),
    ("port", Int),
]);
static INTERFACE: Shape = Obj(&[
    ("name", Str),
    ("version", Str),
    ("permissionGroups", Arr(&PERMISSION_GROUP)),
]);
static DEPENDENCY: Shape = Obj(&[
    ("interfaceName", Str),
    ("interfaceVersion", Str),
    ("permissionGroups", Arr(&Str)),
    (
        "source",
        Obj(&[
            ("sourceLocation", Str),
            ("pupName", Str),
            ("pupVersion", Str),
            ("pupLogoBase64", Str),
        ]),
    ),
    ("optional", Bool),
]);
static METRIC: Shape = Obj(&[
    ("name", Str),
    ("label", Str),
    ("type", Str),
    ("history", Int),
    ("description", Str),
]);
pub(crate) static MANIFEST: Shape = Obj(&[
    ("manifestVersion", Int),
    (
        "meta",
        Obj(&[
            ("name", Str),
            ("version", Str),
            ("logoPath", Str),
            ("shortDescription", Str),
            ("longDescription", Str),
            ("upstreamVersions", Shape::Map(&Str)),
        ]),
    ),
    (
        "config",
        Obj(&[("showOnInstall", Bool), ("sections", Arr(&SECTION))]),
    ),
    (
        "container",
        Obj(&[
            ("build", Obj(&[("nixFile", Str), ("nixFileSha256", Str)])),
            ("services", Arr(&SERVICE)),
            ("exposes", Arr(&EXPOSE)),
            ("requiresInternet", Bool),
        ]),
    ),
    ("interfaces", Arr(&INTERFACE)),
    ("dependencies", Arr(&DEPENDENCY)),
    ("metrics", Arr(&METRIC)),
]);

/// Go matches a key to a field name under Unicode simple case folding (so `K` matches the Kelvin
/// sign too); the field names are ASCII.
fn fold_eq(field: &str, key: &str) -> bool {
    fn fold(c: char) -> char {
        let mut upper = c.to_uppercase();
        let u = match (upper.next(), upper.next()) {
            (Some(u), None) => u,
            _ => c,
        };
        let mut lower = u.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) => l,
            _ => u,
        }
    }
    let mut a = field.chars();
    let mut b = key.chars();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y || fold(x) == fold(y) => {}
            _ => return false,
        }
    }
}

fn field_shape<'a>(
    fields: &'a [(&'static str, Shape)],
    key: &str,
) -> Option<(&'static str, &'a Shape)> {
    fields
        .iter()
        .find(|(name, _)| *name == key)
        .or_else(|| fields.iter().find(|(name, _)| fold_eq(name, key)))
        .map(|(name, shape)| (*name, shape))
}

/// Go's zero value for a `null` array element or map value (it cannot be "absent" there).
fn zero(shape: &Shape) -> Value {
    match shape {
        Str => Value::String(String::new()),
        Bool => Value::Bool(false),
        Int | Num => Value::from(0),
        Obj(_) => Value::Object(Map::new()),
        Any | Arr(_) | Shape::Map(_) => Value::Null,
    }
}

/// A step of a JSON path, printed like serde_path_to_error does (`a.b[0].c`).
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn path_string(steps: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() { ".".to_owned() } else { out }
}

pub(crate) fn normalize(value: Value, shape: &Shape) -> Result<Value, ParseError> {
    normalize_at(value, shape, &mut Vec::new())
}

fn normalize_at(value: Value, shape: &Shape, at: &mut Vec<Step<'_>>) -> Result<Value, ParseError> {
    Ok(match (shape, value) {
        (Obj(fields), Value::Object(map)) => {
            let mut out = Map::new();
            for (key, v) in map {
                let Some((name, child)) = field_shape(fields, &key) else {
                    continue;
                };
                at.push(Step::Key(name));
                let v = normalize_at(v, child, at)?;
                at.pop();
                match out.get_mut(name) {
                    Some(slot) => merge(slot, v, child),
                    None => {
                        out.insert(name.to_owned(), v);
                    }
                }
            }
            Value::Object(out)
        }
        // serde would take an array as a struct written positionally; Go (and we) refuse it.
        (Obj(_), Value::Array(_)) => {
            return Err(ParseError::Type {
                path: path_string(at),
                message: "invalid type: sequence, expected an object".to_owned(),
            });
        }
        (Arr(child), Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, v) in items.into_iter().enumerate() {
                at.push(Step::Index(i));
                out.push(if v.is_null() {
                    zero(child)
                } else {
                    normalize_at(v, child, at)?
                });
                at.pop();
            }
            Value::Array(out)
        }
        (Shape::Map(child), Value::Object(map)) => {
            let mut out = Map::new();
            for (k, v) in map {
                let v = if v.is_null() {
                    zero(child)
                } else {
                    // Map values are scalars here; a nested error path is not needed.
                    normalize_at(v, child, &mut Vec::new())?
                };
                out.insert(k, v);
            }
            Value::Object(out)
        }
        // Other wrong JSON types are left for serde to report with their path.
        (_, other) => other,
    })
}

/// A second key for the same field, combined as Go decodes into an existing value.
fn merge(slot: &mut Value, new: Value, shape: &Shape) {
    match (shape, slot, new) {
        (_, _, Value::Null) => {}
        (Obj(fields), Value::Object(old), Value::Object(new)) => {
            for (key, v) in new {
                let child = field_shape(fields, &key).map_or(&Any, |(_, c)| c);
                match old.get_mut(&key) {
                    Some(s) => merge(s, v, child),
                    None => {
                        old.insert(key, v);
                    }
                }
            }
        }
        (Shape::Map(_), Value::Object(old), Value::Object(new)) => old.extend(new),
        (_, slot, new) => *slot = new,
    }
}

/// Parses JSON bytes into `T` after Go-style key normalisation. A top-level `null` is an empty
/// object, as in Go.
pub(crate) fn parse_json<T: DeserializeOwned>(
    bytes: &[u8],
    shape: &Shape,
) -> Result<T, ParseError> {
    let value: Value = serde_json::from_slice(bytes).map_err(ParseError::Syntax)?;
    let value = if value.is_null() {
        Value::Object(Map::new())
    } else {
        value
    };
    serde_path_to_error::deserialize(normalize(value, shape)?).map_err(|e| ParseError::Type {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// A JSON document with every key of `shape` and a type-correct value, for drift tests.
#[cfg(test)]
pub(crate) fn sample(shape: &Shape) -> Value {
    match shape {
        Str | Any => Value::from("x"),
        Bool => Value::Bool(true),
        Int => Value::from(1),
        Num => Value::from(1.5),
        Obj(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, s)| ((*k).to_owned(), sample(s)))
                .collect(),
        ),
        Arr(child) => Value::Array(vec![sample(child)]),
        Shape::Map(child) => {
            Value::Object([("KEY".to_owned(), sample(child))].into_iter().collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type Edit = Box<dyn FnOnce(&mut Value)>;

    fn base() -> Value {
        json!({
            "manifestVersion": 1,
            "meta": { "name": "Test Pup", "version": "0.0.1", "logoPath": "logo.png" },
            "config": { "sections": [ { "name": "main", "label": "Main", "fields": [
                { "name": "RPC_USER", "label": "User", "type": "text", "required": true },
                { "name": "LIMIT", "label": "Limit", "type": "number", "min": 1, "max": 10, "step": 1 }
            ] } ] },
            "container": {
                "build": { "nixFile": "pup.nix", "nixFileSha256": "a".repeat(64) },
                "services": [ { "name": "svc", "command": { "exec": "/bin/run.sh", "cwd": "", "env": { "A_B": "1" } } } ],
                "exposes": [
                    { "name": "rpc", "type": "http", "port": 22555, "interfaces": ["core-rpc"], "webUI": true },
                    { "name": "rpc-tcp", "type": "tcp", "port": 22555, "interfaces": null, "listenOnHost": true }
                ]
            }
        })
    }

    fn parse_value(v: &Value) -> Manifest {
        match Manifest::parse(v.to_string().as_bytes()) {
            Ok(m) => m,
            Err(e) => panic!("parse failed: {e}\n{v}"),
        }
    }

    /// Applies `edit` to the base manifest and returns the bare validation message.
    fn invalid(edit: impl FnOnce(&mut Value)) -> String {
        let mut v = base();
        edit(&mut v);
        match parse_value(&v).validate() {
            Ok(()) => panic!("accepted: {v}"),
            Err(ManifestError::Invalid(e)) => e.to_string(),
            Err(e) => panic!("not a validation error: {e}"),
        }
    }

    fn parse_err(text: &str) -> String {
        match Manifest::parse(text.as_bytes()) {
            Ok(m) => panic!("parsed: {m:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn names_reserved_env_and_empty_services_are_refused() {
        let m = invalid(|v| v["meta"]["name"] = json!("evil\nname"));
        assert!(m.contains("meta.name") && m.contains("control"), "{m}");
        let m = invalid(|v| v["meta"]["name"] = json!("x".repeat(101)));
        assert!(m.contains("1 to 100"), "{m}");
        let m = invalid(|v| v["container"]["services"][0]["command"]["env"] = json!({"DBX_PUP_ID": "spoof"}));
        assert!(m.contains("DBX_PUP_ID") && m.contains("reserved"), "{m}");
        let m = invalid(|v| v["container"]["services"] = json!([]));
        assert!(m.contains("at least one service"), "{m}");
        // Spaces and unicode stay fine: real pups are called "Dogecoin Core".
        let mut v = base();
        v["meta"]["name"] = json!("Much Wöw Pup");
        assert!(parse_value(&v).validate().is_ok());
    }

    #[test]
    fn base_is_valid_and_accessors_work() {
        let m = parse_value(&base());
        assert!(m.validate().is_ok(), "{:?}", m.validate());
        assert_eq!(m.name(), "Test Pup");
        assert_eq!(m.version_str(), "0.0.1");
        assert_eq!(m.nix_file(), "pup.nix");
        assert_eq!(m.nix_file_sha256(), "a".repeat(64));
        assert_eq!(m.logo_path(), Some("logo.png"));
        assert_eq!(m.short_description(), "");
        let svc = &m.services()[0];
        assert_eq!(
            (svc.name(), svc.exec(), svc.cwd()),
            ("svc", "/bin/run.sh", "")
        );
        assert_eq!(svc.env().get("A_B").map(String::as_str), Some("1"));
        let e = &m.exposes()[0];
        assert_eq!(
            (e.port(), e.kind(), e.web_ui(), e.listen_on_host()),
            (22555, Some(ExposeKind::Http), true, false)
        );
        let e = &m.exposes()[1];
        assert_eq!(
            (e.port(), e.kind(), e.web_ui(), e.listen_on_host()),
            (22555, Some(ExposeKind::Tcp), false, true)
        );
        assert!(e.interfaces().is_empty());
        assert_eq!(m.config_fields().count(), 2);
        assert!(!m.requires_internet());
    }

    #[test]
    fn dogeboxd_checks_and_messages() {
        let cases: Vec<(&str, Edit)> = vec![
            (
                "unknown manifest version: 2",
                Box::new(|v| v["manifestVersion"] = json!(2)),
            ),
            (
                "unknown manifest version: 0",
                Box::new(|v| v["manifestVersion"] = Value::Null),
            ),
            (
                "manifest meta.name is required",
                Box::new(|v| v["meta"]["name"] = json!("")),
            ),
            (
                "manifest meta.name is required",
                Box::new(|v| v["meta"] = Value::Null),
            ),
            (
                "manifest meta.version is required",
                Box::new(|v| v["meta"]["version"] = Value::Null),
            ),
            (
                "manifest container.build.nixFile is required",
                Box::new(|v| v["container"]["build"]["nixFile"] = json!("")),
            ),
            (
                "manifest container.build.nixFileSha256 is required",
                Box::new(|v| v["container"]["build"]["nixFileSha256"] = json!("")),
            ),
            (
                "service name is required",
                Box::new(|v| v["container"]["services"][0]["name"] = json!("")),
            ),
            (
                "service svc must have a non-empty exec command",
                Box::new(|v| v["container"]["services"][0]["command"] = Value::Null),
            ),
            (
                "expose name is required",
                Box::new(|v| v["container"]["exposes"][1]["name"] = json!("")),
            ),
            (
                "expose port must be between 1 and 65535",
                Box::new(|v| v["container"]["exposes"][0]["port"] = json!(0)),
            ),
            (
                "expose port must be between 1 and 65535",
                Box::new(|v| v["container"]["exposes"][0]["port"] = json!(70000)),
            ),
            (
                "expose port must be between 1 and 65535",
                Box::new(|v| v["container"]["exposes"][0]["port"] = json!(-1)),
            ),
            (
                "expose port must be between 1 and 65535",
                Box::new(|v| v["container"]["exposes"][0]["port"] = Value::Null),
            ),
            (
                "expose type must be one of: http, tcp",
                Box::new(|v| v["container"]["exposes"][0]["type"] = json!("admin")),
            ),
            (
                "expose type must be one of: http, tcp",
                Box::new(|v| v["container"]["exposes"][0]["type"] = json!("HTTP")),
            ),
            (
                "config section name is required",
                Box::new(|v| v["config"]["sections"][0]["name"] = json!("")),
            ),
            (
                "config field name is required in section main",
                Box::new(|v| v["config"]["sections"][0]["fields"][0]["name"] = json!("")),
            ),
            (
                "config field RPC_USER in section main must have a label",
                Box::new(|v| v["config"]["sections"][0]["fields"][0]["label"] = Value::Null),
            ),
            (
                "config field RPC_USER in section main has invalid type slider",
                Box::new(|v| v["config"]["sections"][0]["fields"][0]["type"] = json!("slider")),
            ),
            (
                "config field RPC_USER in section main has invalid type ",
                Box::new(|v| v["config"]["sections"][0]["fields"][0]["type"] = json!("")),
            ),
            (
                "duplicate config field name: RPC_USER",
                Box::new(|v| {
                    let dup = v["config"]["sections"][0]["fields"][0].clone();
                    if let Some(sections) = v["config"]["sections"].as_array_mut() {
                        sections.push(json!({ "name": "other", "fields": [dup] }));
                    }
                }),
            ),
            (
                "config field LIMIT step must be greater than zero",
                Box::new(|v| v["config"]["sections"][0]["fields"][1]["step"] = json!(0)),
            ),
            (
                "config field LIMIT step must be greater than zero",
                Box::new(|v| v["config"]["sections"][0]["fields"][1]["step"] = json!(-0.5)),
            ),
            (
                "config field LIMIT min cannot be greater than max",
                Box::new(|v| v["config"]["sections"][0]["fields"][1]["min"] = json!(11)),
            ),
        ];
        for (expected, edit) in cases {
            assert_eq!(invalid(edit), expected);
        }
    }

    #[test]
    fn number_rules_only_for_number_fields() {
        let mut v = base();
        v["config"]["sections"][0]["fields"][0]["step"] = json!(0);
        v["config"]["sections"][0]["fields"][0]["min"] = json!(5);
        v["config"]["sections"][0]["fields"][0]["max"] = json!(1);
        assert!(parse_value(&v).validate().is_ok());
    }

    #[test]
    fn dogeboxd_checks_come_before_strict_ones() {
        // Bad version format and a missing nixFile: dogeboxd would report the nixFile.
        assert_eq!(
            invalid(|v| {
                v["meta"]["version"] = json!("latest");
                v["container"]["build"]["nixFile"] = json!("");
            }),
            "manifest container.build.nixFile is required"
        );
    }

    #[test]
    fn strict_checks_and_messages() {
        let cases: Vec<(&str, Edit)> = vec![
            (
                "manifest meta.version \"latest\" is not a valid version: unexpected character 'l' while parsing major version number; use SemVer such as 1.2.3 (a leading v and the short forms 1 and 1.2 are accepted)",
                Box::new(|v| v["meta"]["version"] = json!("latest")),
            ),
            (
                "meta.logoPath \"../../etc/shadow\" contains a \"..\" component; only a relative path inside the folder is allowed, such as \"pup.nix\" or \"sub/dir\"",
                Box::new(|v| v["meta"]["logoPath"] = json!("../../etc/shadow")),
            ),
            (
                "container.build.nixFile \"/etc/passwd\" is an absolute path; only a relative path inside the folder is allowed, such as \"pup.nix\" or \"sub/dir\"",
                Box::new(|v| v["container"]["build"]["nixFile"] = json!("/etc/passwd")),
            ),
            (
                "container.build.nixFile \"a/../../b\" contains a \"..\" component; only a relative path inside the folder is allowed, such as \"pup.nix\" or \"sub/dir\"",
                Box::new(|v| v["container"]["build"]["nixFile"] = json!("a/../../b")),
            ),
            (
                "manifest container.build.nixFileSha256 \"ABC\" must be 64 lowercase hex characters (a sha256 digest)",
                Box::new(|v| v["container"]["build"]["nixFileSha256"] = json!("ABC")),
            ),
            (
                "service name \"my svc\" is invalid: use 1 to 64 characters from A-Z a-z 0-9 _ . -, starting with a letter or digit",
                Box::new(|v| v["container"]["services"][0]["name"] = json!("my svc")),
            ),
            (
                "service name \"-x\" is invalid: use 1 to 64 characters from A-Z a-z 0-9 _ . -, starting with a letter or digit",
                Box::new(|v| v["container"]["services"][0]["name"] = json!("-x")),
            ),
            (
                "duplicate service name: svc",
                Box::new(|v| {
                    let dup = v["container"]["services"][0].clone();
                    if let Some(s) = v["container"]["services"].as_array_mut() {
                        s.push(dup);
                    }
                }),
            ),
            (
                "service svc exec \"bin/run.sh\" must be an absolute path inside the build output: start with /, name a file, no .. component, no $ or % (systemd would expand them)",
                Box::new(|v| {
                    v["container"]["services"][0]["command"]["exec"] = json!("bin/run.sh")
                }),
            ),
            (
                "service svc exec \"/bin/../../etc/x\" must be an absolute path inside the build output: start with /, name a file, no .. component, no $ or % (systemd would expand them)",
                Box::new(|v| {
                    v["container"]["services"][0]["command"]["exec"] = json!("/bin/../../etc/x")
                }),
            ),
            (
                "service svc exec \"/\" must be an absolute path inside the build output: start with /, name a file, no .. component, no $ or % (systemd would expand them)",
                Box::new(|v| v["container"]["services"][0]["command"]["exec"] = json!("/")),
            ),
            (
                "service svc exec \"/bin/$HOME\" must be an absolute path inside the build output: start with /, name a file, no .. component, no $ or % (systemd would expand them)",
                Box::new(|v| v["container"]["services"][0]["command"]["exec"] = json!("/bin/$HOME")),
            ),
            (
                "config field name \"NL\\nINJECTED\" is not a valid environment variable name (config values reach the pup as environment variables): use [A-Za-z_][A-Za-z0-9_]*",
                Box::new(|v| {
                    v["config"] = json!({"sections": [{"name": "s", "label": "S", "fields": [
                        {"name": "NL\nINJECTED", "label": "x", "type": "text"}]}]})
                }),
            ),
            (
                "config field DBX_PUP_ID is reserved: DBX_* variables are set by the daemon",
                Box::new(|v| {
                    v["config"] = json!({"sections": [{"name": "s", "label": "S", "fields": [
                        {"name": "DBX_PUP_ID", "label": "x", "type": "text"}]}]})
                }),
            ),
            (
                "service svc exec contains a NUL character",
                Box::new(|v| {
                    v["container"]["services"][0]["command"]["exec"] = json!("/bin/a\u{0}b")
                }),
            ),
            (
                "service svc cwd \"../x\" must stay inside the build output: no .. component, no NUL",
                Box::new(|v| v["container"]["services"][0]["command"]["cwd"] = json!("../x")),
            ),
            (
                "service svc env key \"1A\" is not a valid environment variable name: use [A-Za-z_][A-Za-z0-9_]*",
                Box::new(|v| {
                    v["container"]["services"][0]["command"]["env"] = json!({ "1A": "x" })
                }),
            ),
            (
                "service svc env key \"A-B\" is not a valid environment variable name: use [A-Za-z_][A-Za-z0-9_]*",
                Box::new(|v| {
                    v["container"]["services"][0]["command"]["env"] = json!({ "A-B": "x" })
                }),
            ),
            (
                "service svc env A value contains a NUL character",
                Box::new(|v| {
                    v["container"]["services"][0]["command"]["env"] = json!({ "A": "x\u{0}" })
                }),
            ),
        ];
        for (expected, edit) in cases {
            assert_eq!(invalid(edit), expected);
        }
    }

    #[test]
    fn strict_checks_accept_reasonable_values() {
        let mut v = base();
        v["meta"]["version"] = json!("v1.2");
        v["meta"]["logoPath"] = json!("");
        v["container"]["build"]["nixFile"] = json!("./nix/pup.nix");
        v["container"]["services"][0]["name"] = json!("A1.b_c-d");
        v["container"]["services"][0]["command"]["cwd"] = json!("share/app");
        v["container"]["services"][0]["command"]["env"] =
            json!({ "_X": "has spaces = fine", "Y2": "" });
        let m = parse_value(&v);
        assert!(m.validate().is_ok(), "{:?}", m.validate());
        assert_eq!(
            m.version().map(|v| v.to_string()).ok().as_deref(),
            Some("1.2.0")
        );
        assert_eq!(m.logo_path(), None);
        assert_eq!(m.nix_file_path().ok(), Some(PathBuf::from("nix/pup.nix")));
        assert!(is_service_name(&"a".repeat(64)));
        assert!(!is_service_name(&"a".repeat(65)));
        assert!(!is_service_name(""));
    }

    #[test]
    fn duplicate_expose_ports_are_accepted() {
        // Dogecoin Core exposes 22555 as http and tcp.
        let m = parse_value(&base());
        assert_eq!(m.exposes()[0].port(), m.exposes()[1].port());
        assert!(m.validate().is_ok());
    }

    #[test]
    fn type_mismatch_names_the_json_path() {
        let mut v = base();
        v["container"]["exposes"][0]["port"] = json!("8080");
        assert_eq!(
            parse_err(&v.to_string()),
            "failed to parse manifest.json: container.exposes[0].port: invalid type: string \"8080\", expected u16"
        );
        v["container"]["exposes"][0]["port"] = json!(8080.5);
        assert_eq!(
            parse_err(&v.to_string()),
            "failed to parse manifest.json: container.exposes[0].port: invalid type: floating point `8080.5`, expected u16"
        );
        let mut v = base();
        v["container"]["exposes"][1]["webUI"] = json!("true");
        assert_eq!(
            parse_err(&v.to_string()),
            "failed to parse manifest.json: container.exposes[1].webUI: invalid type: string \"true\", expected a boolean"
        );
        let mut v = base();
        v["manifestVersion"] = json!("1");
        assert!(
            parse_err(&v.to_string()).starts_with(
                "failed to parse manifest.json: manifestVersion: invalid type: string"
            )
        );
        let mut v = base();
        v["config"]["sections"][0]["fields"][1]["min"] = json!("1");
        assert!(
            parse_err(&v.to_string())
                .starts_with("failed to parse manifest.json: config.sections[0].fields[1].min: ")
        );
        // The path is the canonical one even when the file spelled the key differently.
        assert!(
            parse_err(r#"{"CONTAINER":{"Exposes":[{"PORT":"1"}]}}"#)
                .starts_with("failed to parse manifest.json: container.exposes[0].port: ")
        );
        // serde alone would read an array as a positional struct; Go refuses it.
        assert_eq!(
            parse_err("[]"),
            "failed to parse manifest.json: invalid type: sequence, expected an object"
        );
        assert_eq!(
            parse_err(r#"{"meta":["n","1"]}"#),
            "failed to parse manifest.json: meta: invalid type: sequence, expected an object"
        );
        assert_eq!(
            parse_err(r#"{"container":{"services":[{"command":["/x"]}]}}"#),
            "failed to parse manifest.json: container.services[0].command: invalid type: sequence, expected an object"
        );
        assert!(parse_err("{").starts_with("failed to parse manifest.json: EOF while parsing"));
    }

    #[test]
    fn keys_match_case_insensitively() {
        let text = r#"{"MANIFESTVERSION":1,"Meta":{"NAME":"p","Version":"1.0.0"},
            "container":{"BUILD":{"nixfile":"pup.nix","NIXFILESHA256":"AAA"},
            "Services":[{"NAME":"s","COMMAND":{"EXEC":"/x","Env":{"Exec":"keep","mixedCase":"v"}}}],
            "EXPOSES":[{"Name":"e","TYPE":"tcp","Port":1,"webui":true,"LISTENONHOST":true}]}}"#;
        let m = match Manifest::parse(text.as_bytes()) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(m.manifest_version, Some(1));
        assert_eq!(
            (m.name(), m.version_str(), m.nix_file(), m.nix_file_sha256()),
            ("p", "1.0.0", "pup.nix", "AAA")
        );
        assert_eq!(m.services()[0].exec(), "/x");
        // Map keys are data: never renamed.
        let env: Vec<&str> = m.services()[0].env().keys().map(String::as_str).collect();
        assert_eq!(env, ["Exec", "mixedCase"]);
        let e = &m.exposes()[0];
        assert!(e.web_ui() && e.listen_on_host());
        assert_eq!(e.kind(), Some(ExposeKind::Tcp));
        // Go's folding also matches the Kelvin sign with k.
        assert!(fold_eq("kind", "\u{212A}IND"));
        assert!(!fold_eq("name", "names"));
    }

    #[test]
    fn every_schema_key_round_trips_and_matches_in_any_case() {
        // Guards the key schema against drift from the serde types, in both directions.
        let sample = sample(&MANIFEST);
        let m = parse_value(&sample);
        assert_eq!(serde_json::to_value(&m).ok(), Some(sample.clone()));

        fn upper(v: &Value, shape: &Shape) -> Value {
            match (shape, v) {
                (Obj(fields), Value::Object(map)) => Value::Object(
                    map.iter()
                        .map(|(k, v)| {
                            let child = field_shape(fields, k).map_or(&Any, |(_, c)| c);
                            (k.to_uppercase(), upper(v, child))
                        })
                        .collect(),
                ),
                (Arr(child), Value::Array(items)) => {
                    Value::Array(items.iter().map(|v| upper(v, child)).collect())
                }
                _ => v.clone(),
            }
        }
        assert_eq!(parse_value(&upper(&sample, &MANIFEST)), m);
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let mut v = base();
        v["trafficType"] = json!({ "deep": [1, 2] });
        v["container"]["exposes"][0]["unknown"] = json!("x");
        assert_eq!(parse_value(&v), parse_value(&base()));
    }

    #[test]
    fn null_means_absent_and_round_trips_as_null() {
        let text = r#"{"manifestVersion":null,"meta":{"name":null,"upstreamVersions":null},
            "config":{"sections":null,"showOnInstall":null},"container":null,"interfaces":null,
            "dependencies":null,"metrics":null}"#;
        let m = match Manifest::parse(text.as_bytes()) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(m.name(), "");
        assert!(
            m.services().is_empty() && m.exposes().is_empty() && m.config_sections().is_empty()
        );
        let out = serde_json::to_value(&m).unwrap_or_default();
        assert_eq!(out["container"], Value::Null);
        assert_eq!(out["config"]["sections"], Value::Null);
        assert_eq!(out["meta"]["upstreamVersions"], Value::Null);
        assert_eq!(out["meta"]["name"], Value::Null);
        // Empty lists stay empty lists, not null.
        let m = parse_value(&json!({ "interfaces": [], "dependencies": [] }));
        let out = serde_json::to_value(&m).unwrap_or_default();
        assert_eq!(
            (out["interfaces"].clone(), out["dependencies"].clone()),
            (json!([]), json!([]))
        );
        assert_eq!(Manifest::parse(b"null").ok(), Some(Manifest::default()));
    }

    #[test]
    fn null_inside_lists_and_maps_is_go_zero_value() {
        let m = parse_value(&json!({
            "container": {
                "services": [null, { "name": "s", "command": { "env": { "A": null } } }],
                "exposes": [{ "interfaces": ["a", null] }]
            }
        }));
        assert_eq!(m.services().len(), 2);
        assert_eq!(m.services()[0].name(), "");
        assert_eq!(m.services()[1].env().get("A").map(String::as_str), Some(""));
        assert_eq!(m.exposes()[0].interfaces(), ["a", ""]);
    }

    #[test]
    fn repeated_keys_combine_like_go() {
        let m = parse_value(&json!({ "meta": { "name": "a", "NAME": null } }));
        assert_eq!(m.name(), "a");
        let m = match Manifest::parse(
            br#"{"meta":{"name":"a"},"META":{"version":"1"},"Meta":{"name":"b"}}"#,
        ) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        assert_eq!((m.name(), m.version_str()), ("b", "1"));
    }

    #[test]
    fn config_options_both_forms_round_trip() {
        let mut v = base();
        v["config"]["sections"][0]["fields"][0]["type"] = json!("select");
        v["config"]["sections"][0]["fields"][0]["options"] =
            json!(["a", { "label": "B", "value": "b" }, { "Label": "N", "VALUE": 3 }]);
        let m = parse_value(&v);
        let field = &m.config_sections()[0].fields()[0];
        assert_eq!(field.options().len(), 3);
        assert_eq!(field.options()[0], ConfigOption::Plain("a".into()));
        assert_eq!(
            field.options()[2],
            ConfigOption::Labeled(LabeledOption {
                label: Some("N".into()),
                value: Some(json!(3))
            })
        );
        let out = serde_json::to_value(&m).unwrap_or_default();
        assert_eq!(
            out["config"]["sections"][0]["fields"][0]["options"],
            json!(["a", { "label": "B", "value": "b" }, { "label": "N", "value": 3 }])
        );
        v["config"]["sections"][0]["fields"][0]["options"] = json!([true]);
        assert_eq!(
            parse_err(&v.to_string()),
            "failed to parse manifest.json: config.sections[0].fields[0].options[0]: invalid type: boolean `true`, expected a string or an object with label and value"
        );
    }

    #[test]
    fn numbers_keep_their_form() {
        let m = parse_value(&base());
        let out = serde_json::to_value(&m).unwrap_or_default();
        assert_eq!(out["config"]["sections"][0]["fields"][1]["min"], json!(1));
        assert!(out["config"]["sections"][0]["fields"][1]["min"].is_u64());
    }

    #[test]
    fn load_dir_wraps_errors_like_dogeboxd() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let err = Manifest::load_dir(dir.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("failed to read manifest.json: "), "{err}");
        assert!(err.contains("manifest.json: No such file"), "{err}");

        let path = dir.path().join(MANIFEST_FILE);
        std::fs::write(&path, "{not json")?;
        let err = Manifest::load_dir(dir.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("failed to parse manifest.json: key must be a string"),
            "{err}"
        );

        std::fs::write(&path, r#"{"manifestVersion": 2}"#)?;
        let err = Manifest::load_dir(dir.path()).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("manifest validation failed: unknown manifest version: 2")
        );

        std::fs::write(&path, base().to_string())?;
        assert_eq!(
            Manifest::load_dir(dir.path())
                .ok()
                .map(|m| m.name().to_owned())
                .as_deref(),
            Some("Test Pup")
        );

        // A symlinked manifest.json could point anywhere: not followed.
        let other = tempfile::tempdir()?;
        std::os::unix::fs::symlink(&path, other.path().join(MANIFEST_FILE))?;
        let err = Manifest::load_dir(other.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("failed to read manifest.json: ")
                && err.ends_with("is not a regular file (symbolic links are not followed)"),
            "{err}"
        );

        std::fs::write(&path, vec![b' '; (METADATA_FILE_LIMIT + 1) as usize])?;
        let err = Manifest::load_dir(dir.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.ends_with("is larger than 1048576 bytes"), "{err}");
        Ok(())
    }
}
