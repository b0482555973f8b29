// TLS material for every port that speaks TLS (the secure client port now; peer links and the
// admin server can take the same pieces): settings read under a prefix, stores loaded into
// Node's secure-context options, file watching for reloads, and the x509 subject as ZooKeeper
// names a certificate's owner.

export { loadTlsMaterial, secureContextOptions, type TlsMaterial } from './material.js';
export { loadSecureContextOptions, TlsFileWatcher, type TlsReloadListener } from './reloader.js';
export {
  readTlsSettings,
  storeType,
  tlsKeySuffixes,
  type ClientAuth,
  type StoreSettings,
  type StoreType,
  type TlsPrefix,
  type TlsSettings,
  type TlsVersion,
} from './settings.js';
export { certificateSubjectName, DerError, formatRfc2253 } from './x500-name.js';

/** The first byte of a TLS record carrying a handshake (a ClientHello opens every session). */
export const tlsHandshakeRecordType = 0x16;
