//! The embedded default: each mail is written as an `.eml` file (RFC 5322, what a mail client
//! opens) under the data dir, so the app runs alone and an operator can still read what it sent.

use crate::server::mail::{MailError, Mailer};
use std::path::PathBuf;

pub struct FolderMailer {
    dir: PathBuf,
}

impl FolderMailer {
    pub fn new(dir: PathBuf) -> FolderMailer {
        FolderMailer { dir }
    }
}

#[async_trait::async_trait]
impl Mailer for FolderMailer {
    async fn send(&self, mail: &lettre::Message) -> Result<(), MailError> {
        let temporary = |e: std::io::Error| MailError::Temporary(format!("mail folder: {e}"));
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(temporary)?;
        let id = mail
            .headers()
            .get_raw("Message-ID")
            .unwrap_or("<mail>")
            .trim_matches(['<', '>'])
            .replace(['/', '\\'], "_");
        let name = format!(
            "{}-{id}.eml",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f")
        );
        // Written aside, then renamed: a reader never sees half a mail.
        let partial = self.dir.join(format!(".{name}.part"));
        tokio::fs::write(&partial, mail.formatted())
            .await
            .map_err(temporary)?;
        tokio::fs::rename(&partial, self.dir.join(&name))
            .await
            .map_err(temporary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::MailId;
    use crate::server::mail::{Outgoing, message};

    #[tokio::test]
    async fn mails_land_as_eml_files() {
        let dir = tempfile::tempdir().expect("dir");
        let mailer = FolderMailer::new(dir.path().join("mail"));
        let from = "no-reply@chat.example.com".parse().expect("from");
        let m = message(
            &from,
            &Outgoing {
                id: MailId(3),
                to: "bo@example.com".into(),
                subject: "Hello".into(),
                body: "Text".into(),
            },
        )
        .expect("builds");
        mailer.send(&m).await.expect("written");
        let files: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
            .expect("folder")
            .map(|e| e.expect("entry").path())
            .collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(&files[0]).expect("text");
        assert!(text.contains("Subject: Hello") && text.contains("To: bo@example.com"));
        assert!(
            files[0]
                .to_string_lossy()
                .ends_with("mail-3@chat.example.com.eml")
        );
    }
}
