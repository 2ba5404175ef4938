//! Secrets at rest: AES-256-GCM under a master key kept in a 0600 file in the data dir
//! (or given in `N8NOPS_MASTER_KEY` as 64 hex characters).
//!
//! Sealed form: 12-byte random nonce followed by ciphertext and tag. The associated
//! data binds a ciphertext to what it protects (e.g. `api-key:prod`), so a sealed
//! value copied to another row does not open.

use super::StoreError;
use crate::domain::encoding::hex;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use std::fmt;
use std::path::Path;

pub const MASTER_KEY_ENV: &str = "N8NOPS_MASTER_KEY";

/// Seals and opens secrets. Its Debug never shows the key.
pub struct SecretBox {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

/// Where the master key came from, for `n8nops info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env,
    File(std::path::PathBuf),
}

impl SecretBox {
    pub fn from_key(bytes: &[u8; 32]) -> Self {
        // A 32-byte key is always a valid AES-256 key.
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).unwrap_or_else(|_| unreachable!());
        SecretBox {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    /// The key from `N8NOPS_MASTER_KEY`, else from `key_file`, which is created (0600)
    /// with a fresh random key when it does not exist.
    pub fn load_or_create(key_file: &Path) -> Result<(Self, KeySource), StoreError> {
        if let Ok(hex_key) = std::env::var(MASTER_KEY_ENV) {
            let key = parse_hex_key(&hex_key)
                .map_err(|e| StoreError::Secret(format!("{MASTER_KEY_ENV}: {e}")))?;
            return Ok((Self::from_key(&key), KeySource::Env));
        }
        let key = match std::fs::read_to_string(key_file) {
            Ok(text) => parse_hex_key(&text)
                .map_err(|e| StoreError::Secret(format!("{}: {e}", key_file.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(key_file)?,
            Err(e) => {
                return Err(StoreError::Secret(format!(
                    "cannot read {}: {e}",
                    key_file.display()
                )));
            }
        };
        Ok((Self::from_key(&key), KeySource::File(key_file.to_owned())))
    }

    pub fn seal(&self, plaintext: &[u8], aad: &str) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| StoreError::Secret("no randomness available".into()))?;
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut buf,
            )
            .map_err(|_| StoreError::Secret("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8], aad: &str) -> Result<Vec<u8>, StoreError> {
        let fail = || {
            StoreError::Secret(format!(
                "cannot decrypt the secret for {aad}: wrong master key or damaged data"
            ))
        };
        if sealed.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| fail())?;
        let mut buf = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut buf)
            .map_err(|_| fail())?;
        Ok(plain.to_vec())
    }
}

fn parse_hex_key(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    if text.len() != 64 || !text.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("a master key must be 64 hex characters (32 bytes)".into());
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(key)
}

fn create_key_file(path: &Path) -> Result<[u8; 32], StoreError> {
    use std::io::Write;
    let mut key = [0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| StoreError::Secret("no randomness available".into()))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Secret(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| StoreError::Secret(format!("cannot create {}: {e}", path.display())))?;
    writeln!(file, "{}", hex(&key))
        .map_err(|e| StoreError::Secret(format!("cannot write {}: {e}", path.display())))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_open_round_trips_and_binds_to_aad() {
        let dir = tempfile::tempdir().unwrap();
        let (secrets, source) = SecretBox::load_or_create(&dir.path().join("master.key")).unwrap();
        assert!(matches!(source, KeySource::File(_)));
        let sealed = secrets.seal(b"n8n_api_key_123", "api-key:prod").unwrap();
        assert!(!sealed.windows(15).any(|w| w == b"n8n_api_key_123"));
        assert_eq!(
            secrets.open(&sealed, "api-key:prod").unwrap(),
            b"n8n_api_key_123"
        );
        let err = secrets
            .open(&sealed, "api-key:dev")
            .unwrap_err()
            .to_string();
        assert!(err.contains("api-key:dev"), "{err}");
        assert!(secrets.open(&sealed[..5], "api-key:prod").is_err());
    }

    #[test]
    fn key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let (a, _) = SecretBox::load_or_create(&path).unwrap();
        let sealed = a.seal(b"x", "t").unwrap();
        let (b, _) = SecretBox::load_or_create(&path).unwrap();
        assert_eq!(b.open(&sealed, "t").unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{a:?}"), "SecretBox(..)");
    }

    #[test]
    fn bad_key_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        std::fs::write(&path, "not hex").unwrap();
        let err = SecretBox::load_or_create(&path).unwrap_err().to_string();
        assert!(
            err.contains("master.key") && err.contains("64 hex"),
            "{err}"
        );
    }
}
