// The server's capabilities as `invitectl check` prints them: what works, what does not,
// and the configuration that would fix it (/health shows the same as JSON).
import type { Capability, HostCapabilities, ServerCapabilities } from "./admin.js";

const LABELS: [keyof Pick<HostCapabilities, "accounts" | "passwordChange" | "accountCheck" | "contacts">, string][] = [
  ["accounts", "accounts"], ["passwordChange", "password reset"], ["accountCheck", "account check"], ["contacts", "contacts"],
];

function line(label: string, c: Capability): string[] {
  if (c.ok) return [`  ${label}: ok (${c.via})`];
  return [`  ${label}: NOT AVAILABLE: ${c.why ?? `no ${c.via}`}`, ...(c.fix ? [`    fix: ${c.fix}`] : [])];
}

export function capabilityLines(caps: ServerCapabilities): string[] {
  if (!caps.known) return ["server: capabilities not known (the component is not connected, or is still asking the server)"];
  const out: string[] = [];
  for (const h of Object.values(caps.hosts)) {
    const sw = h.software ? `${h.software.name}${h.software.version ? ` ${h.software.version}` : ""}` : "unknown software (no XEP-0092 answer)";
    out.push(`server ${h.host}: ${sw}`);
    out.push(`  XEP-0133 commands offered to the component: ${h.adminCommands.length ? h.adminCommands.join(", ") : "none"}`);
    if (h.apiCommands.length) out.push(`  ejabberd API commands offered (mod_adhoc_api): ${h.apiCommands.join(", ")}`);
    out.push(`  XEP-0356 privileges: ${h.privilege ? `${h.privilege.namespace}, ${Object.entries(h.privilege.perms).map(([k, v]) => `${k}=${v}`).join(", ")}` : "none granted"}`);
    const iq = Object.entries(h.privilege?.iq ?? {});
    if (iq.length) out.push(`  XEP-0356 iq privileges: ${iq.map(([ns, type]) => `${ns}=${type}`).join(", ")}`);
    if (h.ejabberdApi) out.push(...line("ejabberd HTTP API", h.ejabberdApi));
    for (const [key, label] of LABELS) out.push(...line(label, h[key]));
  }
  return out;
}
