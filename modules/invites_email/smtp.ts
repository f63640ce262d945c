// Sending through an SMTP server with nodemailer. Only this file knows nodemailer; it turns
// its errors into SendFailures that say whether a retry can help: a recipient or message the
// server refuses for good (5xx to RCPT TO or DATA) is permanent, anything else (connection,
// TLS, authentication, 4xx, the sender refused) is retried, since fixing the config or the
// server's coming back makes it work.
import { readFileSync } from "node:fs";
import nodemailer from "nodemailer";
import { SendFailure } from "./queue.js";

export interface SmtpSettings {
  host: string;
  port: number;
  /** starttls: STARTTLS required; tls: TLS from the first byte (port 465); none: plain text (a local relay). */
  tls: "starttls" | "tls" | "none";
  /** PEM file of a CA to trust besides the system's (a private relay's certificate). */
  caFile: string | undefined;
  user: string | undefined;
  password: string | undefined;
  /** Name given in EHLO (default: the machine's host name). */
  clientName: string | undefined;
}

export interface Message {
  from: string;
  replyTo: string | undefined;
  to: string;
  subject: string;
  text: string;
  html: string;
  lang: string;
}

export interface Mailer {
  send(message: Message): Promise<void>;
  close(): void;
}

const PERMANENT_COMMANDS = new Set(["RCPT TO", "DATA"]);

export function smtpMailer(s: SmtpSettings): Mailer {
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.tls === "tls",
    requireTLS: s.tls === "starttls",
    ignoreTLS: s.tls === "none",
    ...(s.user !== undefined ? { auth: { user: s.user, pass: s.password ?? "" } } : {}),
    ...(s.clientName !== undefined ? { name: s.clientName } : {}),
    tls: { ...(s.caFile !== undefined ? { ca: readFileSync(s.caFile, "utf8") } : {}), minVersion: "TLSv1.2" },
    // Within the queue's lease (queue.ts): a hung server is given up on and retried later.
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    // Never logs: messages hold invite links.
    logger: false,
    debug: false,
  });
  return {
    async send(m) {
      try {
        await transport.sendMail({
          // An address object, not a string: nothing in it is parsed as a list or a name.
          from: m.from, to: { name: "", address: m.to }, ...(m.replyTo ? { replyTo: m.replyTo } : {}), subject: m.subject, text: m.text, html: m.html,
          // RFC 3834: an automatic message, so auto-responders do not answer it.
          headers: { "Auto-Submitted": "auto-generated", "Content-Language": m.lang },
        });
      } catch (e) {
        const err = e as { message?: string; code?: string; responseCode?: number; command?: string; response?: string };
        const reply = err.responseCode ? `${err.command ?? "SMTP"}: ${(err.response ?? err.message ?? "").slice(0, 200)}` : `${err.code ?? "error"}: ${err.message ?? String(e)}`;
        const permanent = (err.responseCode ?? 0) >= 500 && PERMANENT_COMMANDS.has(err.command ?? "");
        throw new SendFailure(reply.replace(/\s+/g, " ").trim(), permanent);
      }
    },
    close: () => transport.close(),
  };
}
