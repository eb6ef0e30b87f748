//! sha256 of pup files, as dogeboxd checks `container.build.nixFileSha256`.

use sha2::{Digest, Sha256};
use thiserror::Error;

/// Lowercase hex sha256 of the raw bytes. No newline or encoding normalisation: the manifest
/// hash is of the file exactly as stored (`sha256sum pup.nix`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// True for exactly 64 lowercase hex characters, the form dogeboxd writes and compares.
pub fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A file whose sha256 differs from the manifest's. Both hashes are named so the user can tell a
/// stale manifest from a tampered file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "nix file sha256 mismatch: manifest container.build.nixFileSha256 is {expected}, file is {actual}"
)]
pub struct HashMismatch {
    pub expected: String,
    pub actual: String,
}

/// Compares the sha256 of `bytes` with `expected` (exact, lowercase comparison).
pub fn verify_sha256(bytes: &[u8], expected: &str) -> Result<(), HashMismatch> {
    let actual = sha256_hex(bytes);
    if actual == expected {
        Ok(())
    } else {
        Err(HashMismatch {
            expected: expected.to_owned(),
            actual,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn raw_bytes_no_normalisation() {
        assert_ne!(sha256_hex(b"a\n"), sha256_hex(b"a\r\n"));
        assert_ne!(sha256_hex(b"a"), sha256_hex(b"a\n"));
    }

    #[test]
    fn hex_form() {
        assert!(is_sha256_hex(&sha256_hex(b"x")));
        assert!(!is_sha256_hex(&sha256_hex(b"x").to_uppercase()));
        assert!(!is_sha256_hex("abc"));
        assert!(!is_sha256_hex(&"g".repeat(64)));
        assert!(!is_sha256_hex(&"a".repeat(65)));
    }

    #[test]
    fn mismatch_names_both_hashes() {
        let expected = "0".repeat(64);
        let err = verify_sha256(b"abc", &expected).err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains(&expected), "{msg}");
        assert!(
            msg.contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            "{msg}"
        );
        assert_eq!(
            verify_sha256(
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            ),
            Ok(())
        );
    }
}
