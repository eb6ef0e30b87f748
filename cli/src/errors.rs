//! Exit codes, chosen at the edge from the kind of error (documented in `--help`).

use std::process::ExitCode;

use dogebox_shared::wire;

use crate::client::ClientError;

/// The documented exit codes; keep in step with `EXIT_CODES` in cli.rs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Ok = 0,
    JobFailed = 1,
    Usage = 2,
    NotFound = 3,
    Unreachable = 4,
    Refused = 5,
    Daemon = 6,
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Errors the CLI itself raises (as opposed to the daemon).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad use of the command line that clap cannot see (for example a missing --yes).
    #[error("{0}")]
    Usage(String),
}

/// Which exit code an error deserves.
pub fn exit_for(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<ClientError>() {
            return exit_for_client(e);
        }
        if let Some(CliError::Usage(_)) = cause.downcast_ref::<CliError>() {
            return Exit::Usage;
        }
    }
    // Local failures (for example writing generated files) are not the daemon's fault, but
    // code 6 is the catch-all for "something went wrong that is not one of the above".
    Exit::Daemon
}

pub fn exit_for_client(err: &ClientError) -> Exit {
    match err {
        ClientError::Connect { .. } | ClientError::Closed { .. } => Exit::Unreachable,
        ClientError::Protocol(_) => Exit::Daemon,
        ClientError::Api { status, code, .. } => match code.as_str() {
            wire::CODE_NOT_FOUND | wire::CODE_AMBIGUOUS => Exit::NotFound,
            wire::CODE_BAD_REQUEST | wire::CODE_FORBIDDEN | wire::CODE_CONFLICT => Exit::Refused,
            wire::CODE_INTERNAL => Exit::Daemon,
            // An unknown code or a body that was not an ErrorBody: go by the status.
            _ => match *status {
                404 => Exit::NotFound,
                400..=499 => Exit::Refused,
                _ => Exit::Daemon,
            },
        },
    }
}

/// True when stdout was closed under us (a pipe into `head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The one line printed for an error: the messages of the chain joined with `: `, stopping at
/// a [`ClientError`], whose message already says everything (its io source included).
pub fn message(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        if cause.downcast_ref::<ClientError>().is_some() {
            break;
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    fn api(status: u16, code: &str) -> anyhow::Error {
        ClientError::Api { status, code: code.into(), message: "m".into() }.into()
    }

    #[test]
    fn exit_codes_follow_the_error_kind() {
        assert_eq!(exit_for(&api(404, "not_found")), Exit::NotFound);
        assert_eq!(exit_for(&api(409, "ambiguous")), Exit::NotFound);
        assert_eq!(exit_for(&api(409, "conflict")), Exit::Refused);
        assert_eq!(exit_for(&api(400, "bad_request")), Exit::Refused);
        assert_eq!(exit_for(&api(403, "forbidden")), Exit::Refused);
        assert_eq!(exit_for(&api(500, "internal")), Exit::Daemon);
        // Not an ErrorBody: decided by the status alone.
        assert_eq!(exit_for(&api(404, "")), Exit::NotFound);
        assert_eq!(exit_for(&api(422, "")), Exit::Refused);
        assert_eq!(exit_for(&api(502, "")), Exit::Daemon);
        let connect = ClientError::Connect {
            socket: "/x".into(),
            source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        assert_eq!(exit_for(&connect.into()), Exit::Unreachable);
        let closed = ClientError::Closed { socket: "/x".into(), reason: "reset".into() };
        assert_eq!(exit_for(&closed.into()), Exit::Unreachable);
        assert_eq!(exit_for(&ClientError::Protocol("x".into()).into()), Exit::Daemon);
        assert_eq!(exit_for(&CliError::Usage("pass --yes".into()).into()), Exit::Usage);
        assert_eq!(exit_for(&anyhow::anyhow!("disk full")), Exit::Daemon);
    }

    #[test]
    fn context_does_not_hide_the_kind() {
        let err = Err::<(), _>(api(404, "not_found")).context("cannot show pup 'x'");
        let err = err.expect_err("is an error");
        assert_eq!(exit_for(&err), Exit::NotFound);
        assert_eq!(message(&err), "cannot show pup 'x': m");
    }

    #[test]
    fn connect_message_is_not_repeated() {
        let err: anyhow::Error = ClientError::Connect {
            socket: "/nonexistent/x.sock".into(),
            source: std::io::Error::from_raw_os_error(2),
        }
        .into();
        let text = message(&err);
        assert_eq!(text.matches("No such file or directory").count(), 1, "{text}");
    }
}
