//! A real SMTP client (lettre): implicit TLS, STARTTLS or plain (a local relay), with optional
//! credentials and a timeout. A permanent refusal (5xx) fails the mail for good; anything else is
//! tried again by the job runner.

use crate::server::mail::{MailError, Mailer};
use crate::server::platform::config::{SmtpSecurity, SmtpSettings};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use std::time::Duration;

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpMailer {
    pub fn new(s: &SmtpSettings) -> Result<SmtpMailer, String> {
        let builder = match s.security {
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.as_str())
            }
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| format!("mail.smtp.host: {e}"))?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
                .map_err(|e| format!("mail.smtp.host: {e}"))?,
        };
        let mut builder = builder
            .port(s.port)
            .timeout(Some(Duration::from_secs(s.timeout_secs)));
        if !s.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                s.username.clone(),
                s.password.expose_secret().to_owned(),
            ));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
        })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &lettre::Message) -> Result<(), MailError> {
        match self.transport.send(mail.clone()).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(format!("SMTP: {e}"))),
            Err(e) => Err(MailError::Temporary(format!("SMTP: {e}"))),
        }
    }
}
