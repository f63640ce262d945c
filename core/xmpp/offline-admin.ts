// The AdminPort when there is no XMPP link (invitectl, tests): every operation
// says at once that the server is not reachable.
import { adminErrors, type AdminPort } from "../admin.js";

const refuse = (): Promise<never> => Promise.reject(adminErrors.not_connected("Not connected to the XMPP server (no component link in this mode)"));

export const offlineAdmin: AdminPort = {
  connected: false,
  privileges: Object.freeze({}),
  capabilities: Object.freeze({ known: false, hosts: Object.freeze({}) }),
  createAccount: refuse,
  changePassword: refuse,
  deleteAccount: refuse,
  disableAccount: refuse,
  enableAccount: refuse,
  endSessions: refuse,
  accountExists: refuse,
  getRoster: refuse,
  setRosterItem: refuse,
  makeMutualContacts: refuse,
  getProfile: refuse,
};
