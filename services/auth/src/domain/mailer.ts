// Outgoing mail (password-reset links) over SMTP with nodemailer. Without SMTP_URL nothing can be
// sent: the attempt is logged without the link, so a reset never leaks through logs.
import nodemailer from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** Sends one message; rejects when the SMTP server refuses it. */
  send(message: MailMessage): Promise<void>;
}

export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(m) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text });
    },
  };
}

/** Used when no SMTP server is configured. */
export const unconfiguredMailer: Mailer = {
  async send() {
    throw new Error('SMTP_URL is not set: cannot send mail');
  },
};
