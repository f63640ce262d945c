// A real SMTP server for the tests (the smtp-server package) on a free loopback port: it
// speaks SMTP over TCP like any relay, with STARTTLS and a certificate of its own when asked,
// and keeps every message it accepts (parsed with mailparser). It can be stopped and started
// again on the same port, to stage an outage.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser, type ParsedMail } from "mailparser";
import { generate } from "selfsigned";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { freePort } from "./ports.js";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
}

export interface TestSmtpOptions {
  /** Offer STARTTLS with a self-signed certificate for 127.0.0.1 (its PEM is caFile). */
  tls?: boolean;
  /** Require this user and password (AUTH PLAIN/LOGIN). */
  auth?: { user: string; password: string };
  /** Answer RCPT TO for these addresses with 550 (a mailbox that does not exist). */
  rejectRecipients?: string[];
}

export interface TestSmtp {
  readonly port: number;
  /** The certificate to trust (email_smtp_ca_file) when started with tls. */
  readonly caFile: string | undefined;
  readonly received: ReceivedMail[];
  /** Options for invites_email that point at this server. */
  readonly options: Record<string, unknown>;
  /** Resolves with the next message (or the first one already received that matches). */
  waitFor(match: (m: ReceivedMail) => boolean, what: string): Promise<ReceivedMail>;
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startSmtp(opts: TestSmtpOptions = {}): Promise<TestSmtp> {
  const dir = mkdtempSync(join(tmpdir(), "xi-smtp-"));
  const port = await freePort();
  let key: string | undefined, cert: string | undefined, caFile: string | undefined;
  if (opts.tls) {
    const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
      keySize: 2048, algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] }],
    });
    key = pems.private; cert = pems.cert;
    caFile = join(dir, "ca.pem");
    writeFileSync(caFile, cert);
  }
  const received: ReceivedMail[] = [];
  const waiters: { match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }[] = [];
  const rejected = new Set((opts.rejectRecipients ?? []).map((a) => a.toLowerCase()));

  const settings: SMTPServerOptions = {
    secure: false,
    ...(opts.tls ? { key, cert } : { disabledCommands: ["STARTTLS"] }),
    authOptional: !opts.auth,
    // Plain-text AUTH is refused by default without TLS; the tests without TLS use none.
    allowInsecureAuth: !opts.tls,
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.password) return cb(null, { user: auth.username });
      cb(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      if (rejected.has(address.address.toLowerCase())) return cb(Object.assign(new Error("5.1.1 No such mailbox"), { responseCode: 550 }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        simpleParser(raw).then((parsed) => {
          const mail: ReceivedMail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw, parsed,
          };
          received.push(mail);
          for (const w of [...waiters]) if (w.match(mail)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(mail); }
          cb();
        }, (err: Error) => cb(err));
      });
    },
  };

  let server: SMTPServer | undefined;
  const smtp: TestSmtp = {
    port, caFile, received,
    options: {
      email_smtp_host: "127.0.0.1", email_smtp_port: port, email_smtp_tls: opts.tls ? "starttls" : "none",
      ...(caFile ? { email_smtp_ca_file: caFile } : {}),
      ...(opts.auth ? { email_smtp_user: opts.auth.user, email_smtp_password: opts.auth.password } : {}),
    },
    waitFor(match, what) {
      const found = received.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { match, resolve };
        waiters.push(w);
        // A guard against a test hanging for ever, not a timing the test depends on.
        setTimeout(() => { const i = waiters.indexOf(w); if (i !== -1) { waiters.splice(i, 1); reject(new Error(`no mail arrived: ${what}`)); } }, 30_000).unref();
      });
    },
    async start() {
      if (server) return;
      const s = new SMTPServer(settings);
      await new Promise<void>((resolve, reject) => { s.once("error", reject); s.listen(port, "127.0.0.1", () => resolve()); });
      s.on("error", () => { /* a client's broken connection; the test sees what arrived */ });
      server = s;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async destroy() {
      await smtp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await smtp.start();
  return smtp;
}
