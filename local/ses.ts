/**
 * A local stand-in for Amazon SES (the v1 Query API), enough for the real
 * `@aws-sdk/client-ses` client: `SendRawEmail` writes the raw message as an
 * `.eml` file to the outbox (and, when asked, relays it to an SMTP server),
 * `GetIdentityVerificationAttributes` answers from a list of verified
 * identities. Like SES in the sandbox, it rejects a message whose sender or
 * recipients are not verified; like SES, it refuses a raw message over
 * 10 MB (`InvalidParameterValue`, "Message length is more than 10485760
 * bytes long", the answer SES gives). Faults can be injected for tests.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { SES_MAX_MESSAGE_BYTES } from '../core/digest/email.ts';
import { SafeHtml } from '../core/report/escape.ts';
import { previewDocument } from '../core/report/render.ts';
import { type LocalReply, type LocalServer, serveLocal } from './http.ts';

const XMLNS = 'http://ses.amazonaws.com/doc/2010-12-01/';

/** Where to relay sent messages to (an SMTP server without TLS or auth). */
export interface SmtpRelay {
  host: string;
  port: number;
}

export interface LocalSesOptions {
  /** Folder of the `.eml` files. */
  outboxDir: string;
  /** Verified identities: addresses, or domains that verify all their addresses. */
  verified: readonly string[];
  /**
   * Whether the account is in the sandbox: then unverified recipients make
   * SendRawEmail fail with MessageRejected, as in SES.
   * @default true
   */
  sandbox?: boolean;
  /** Also deliver every message to this SMTP server. */
  smtp?: SmtpRelay | null;
}

/** A message the stand-in accepted. */
export interface LocalSentEmail {
  messageId: string;
  /** The `.eml` file. */
  path: string;
  /**
   * A page showing the message's HTML part as a mail client would, next
   * to the `.eml`; `null` when the message has none.
   */
  preview: string | null;
  source: string;
  destinations: string[];
}

/** A fault to answer instead of doing the action. */
export interface SesFault {
  status: number;
  code: string;
  message: string;
}

const escapeXml = (s: string): string =>
  s.replace(
    /[<>&'"]/g,
    (c) =>
      ({
        '<': '&lt;',
        '>': '&gt;',
        '&': '&amp;',
        "'": '&apos;',
        '"': '&quot;',
      })[c] ?? c,
  );

const xml = (status: number, body: string): LocalReply => ({
  status,
  contentType: 'text/xml',
  body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
});

function errorReply(f: SesFault): LocalReply {
  const type = f.status >= 500 ? 'Receiver' : 'Sender';
  return xml(
    f.status,
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(f.code)}</Code><Message>${escapeXml(f.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

/** The `.member.N` values of a Query-protocol list parameter, in order. */
function members(params: URLSearchParams, name: string): string[] {
  const out: [number, string][] = [];
  for (const [k, v] of params) {
    const m = new RegExp(`^${name}\\.member\\.(\\d+)$`).exec(k);
    if (m !== null) out.push([Number(m[1]), v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

export class LocalSes {
  readonly sent: LocalSentEmail[] = [];
  private readonly faults = new Map<string, SesFault[]>();
  private readonly verified: Set<string>;
  private server: LocalServer | null = null;

  private constructor(private readonly o: LocalSesOptions) {
    this.verified = new Set(o.verified.map((v) => v.toLowerCase()));
  }

  /** Starts the stand-in on a free port of 127.0.0.1. */
  static async start(o: LocalSesOptions): Promise<LocalSes> {
    const ses = new LocalSes(o);
    ses.server = await serveLocal((_req, body) => ses.handle(body));
    return ses;
  }

  get endpoint(): string {
    if (this.server === null) throw new Error('local SES is not started');
    return this.server.endpoint;
  }

  /** Answers the next `times` calls of `action` with `fault`. */
  failNext(action: string, fault: SesFault, times = 1): void {
    const list = this.faults.get(action) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.faults.set(action, list);
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = null;
  }

  private isVerified(identity: string): boolean {
    const id = identity.toLowerCase();
    return (
      this.verified.has(id) ||
      (id.includes('@') && this.verified.has(id.slice(id.lastIndexOf('@') + 1)))
    );
  }

  private async handle(body: Buffer): Promise<LocalReply> {
    const params = new URLSearchParams(body.toString('utf8'));
    const action = params.get('Action') ?? '';
    const fault = this.faults.get(action)?.shift();
    if (fault !== undefined) return errorReply(fault);
    switch (action) {
      case 'SendRawEmail':
        return this.sendRawEmail(params);
      case 'GetIdentityVerificationAttributes':
        return this.verificationAttributes(params);
      default:
        return errorReply({
          status: 400,
          code: 'InvalidAction',
          message: `the local SES stand-in does not implement ${action}`,
        });
    }
  }

  private verificationAttributes(params: URLSearchParams): LocalReply {
    // SES lists only the identities it knows: the verified ones, here.
    const entries = members(params, 'Identities')
      .filter((id) => this.verified.has(id.toLowerCase()))
      .map(
        (id) =>
          `<entry><key>${escapeXml(id)}</key><value><VerificationStatus>Success</VerificationStatus></value></entry>`,
      )
      .join('');
    return xml(
      200,
      `<GetIdentityVerificationAttributesResponse xmlns="${XMLNS}"><GetIdentityVerificationAttributesResult><VerificationAttributes>${entries}</VerificationAttributes></GetIdentityVerificationAttributesResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetIdentityVerificationAttributesResponse>`,
    );
  }

  private async sendRawEmail(params: URLSearchParams): Promise<LocalReply> {
    const data = params.get('RawMessage.Data');
    const source = params.get('Source');
    const destinations = members(params, 'Destinations');
    if (data === null || source === null || destinations.length === 0)
      return errorReply({
        status: 400,
        code: 'InvalidParameterValue',
        message:
          'the local SES stand-in needs RawMessage.Data, Source and Destinations',
      });
    const failed = [source, ...destinations].filter(
      (a, i) => (i === 0 || (this.o.sandbox ?? true)) && !this.isVerified(a),
    );
    if (failed.length > 0)
      return errorReply({
        status: 400,
        code: 'MessageRejected',
        message: `Email address is not verified. The following identities failed the check in region LOCAL: ${failed.join(', ')}`,
      });
    const raw = Buffer.from(data, 'base64');
    if (raw.length > SES_MAX_MESSAGE_BYTES)
      return errorReply({
        status: 400,
        code: 'InvalidParameterValue',
        message: `Message length is more than ${SES_MAX_MESSAGE_BYTES} bytes long: '${raw.length}'.`,
      });
    const messageId = `local-${randomUUID()}`;
    await mkdir(this.o.outboxDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const path = join(this.o.outboxDir, `${stamp}-${messageId}.eml`);
    await writeFile(path, raw);
    const preview = await writePreview(raw, path.replace(/\.eml$/, '.html'));
    if (this.o.smtp) {
      try {
        await relay(this.o.smtp, source, destinations, raw);
      } catch (err) {
        return errorReply({
          status: 400,
          code: 'LocalSmtpRelayFailed',
          message: `the message is in ${path} but could not be relayed to SMTP ${this.o.smtp.host}:${this.o.smtp.port}: ${(err as Error).message}`,
        });
      }
    }
    this.sent.push({ messageId, path, preview, source, destinations });
    return xml(
      200,
      `<SendRawEmailResponse xmlns="${XMLNS}"><SendRawEmailResult><MessageId>${messageId}</MessageId></SendRawEmailResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></SendRawEmailResponse>`,
    );
  }
}

/** Delivers a raw message to an SMTP server, envelope as given. */
async function relay(
  smtp: SmtpRelay,
  from: string,
  to: string[],
  raw: Buffer,
): Promise<void> {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: false,
    ignoreTLS: true,
  });
  try {
    await transport.sendMail({ envelope: { from, to }, raw });
  } finally {
    transport.close();
  }
}

/**
 * Writes the HTML part of a raw message, as sent, into a standalone page
 * at `path` (titled with its subject); returns `path`, or `null` when the
 * message has no HTML part. The HTML is the message's own: a preview shows
 * what a mail client would.
 */
async function writePreview(raw: Buffer, path: string): Promise<string | null> {
  const mail = await simpleParser(raw);
  if (typeof mail.html !== 'string') return null;
  await writeFile(
    path,
    previewDocument(mail.subject ?? '', new SafeHtml(mail.html)),
  );
  return path;
}
