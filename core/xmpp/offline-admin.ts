// The admin port when there is no XMPP link (invitectl, tests without a server).
import { adminErrors, type AdminPort } from "../admin.js";

const refuse = async (): Promise<never> => { throw adminErrors.not_connected(); };

export const offlineAdmin: AdminPort = {
  connected: false,
  privileges: {},
  createAccount: refuse,
  changePassword: refuse,
  deleteAccount: refuse,
  accountExists: refuse,
  getRoster: refuse,
  setRosterItem: refuse,
};
