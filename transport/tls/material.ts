// Key and trust stores read into what Node's TLS takes (PEM key, certificate chain, trusted CAs),
// as ZooKeeper's FileKeyStoreLoaders read them: PEM (the private key and its certificates in one
// file), PKCS12 (node-forge) and JKS (jks-js). Every failure is a ConfigError naming the key.

import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SecureContextOptions } from 'node:tls';
import type * as Jks from 'jks-js';
import type Forge from 'node-forge';
import { ConfigError } from '../../protocol/config/values.js';
import type { StoreSettings, TlsSettings } from './settings.js';

// node-forge and jks-js are required on first use, not imported: only PKCS12 and JKS stores need
// them, and node-forge is large (its code would stay in every server's heap for nothing).
const requireOnUse = createRequire(import.meta.url);
let forgeModule: typeof Forge | undefined;
let jksModule: typeof Jks | undefined;
function loadForge(): typeof Forge {
  return (forgeModule ??= requireOnUse('node-forge') as typeof Forge);
}
function loadJks(): typeof Jks {
  return (jksModule ??= requireOnUse('jks-js') as typeof Jks);
}

/** What a key store and a trust store hold, in PEM text. */
export interface TlsMaterial {
  /** The private key (decrypted), when a key store is configured. */
  key: string | undefined;
  /** The key's certificate, then the rest of its chain. */
  cert: string[];
  /** The trust store's certificates: the CAs a peer's certificate must chain to. */
  ca: string[];
}

interface StoreContent {
  keys: string[];
  /** The key's certificate chain, leaf first. */
  chain: string[];
  /** The certificates the store vouches for as a trust store. */
  trusted: string[];
}

/** Reads both stores of `settings` from disk. */
export function loadTlsMaterial(settings: TlsSettings): TlsMaterial {
  const prefix = settings.prefix;
  const keyStore = settings.keyStore === undefined
    ? undefined
    : readStore(settings.keyStore, `${prefix}keyStore`);
  if (keyStore !== undefined && keyStore.keys.length === 0) {
    throw new ConfigError(`${prefix}keyStore.location: ${settings.keyStore!.location} holds no ` +
      'private key', `${prefix}keyStore.location`);
  }
  const trustStore = settings.trustStore === undefined
    ? undefined
    : readStore(settings.trustStore, `${prefix}trustStore`);
  if (trustStore !== undefined && trustStore.trusted.length === 0) {
    throw new ConfigError(`${prefix}trustStore.location: ${settings.trustStore!.location} holds ` +
      'no certificate', `${prefix}trustStore.location`);
  }
  return {
    key: keyStore?.keys[0],
    cert: keyStore?.chain ?? [],
    ca: trustStore?.trusted ?? [],
  };
}

/**
 * The options tls.createSecureContext (and tls.createServer / tls.connect) take for this
 * material and these settings. Without a trust store, Node's default CAs apply, as Java's
 * default trust store does for ZooKeeper.
 */
export function secureContextOptions(
  settings: TlsSettings,
  material: TlsMaterial,
): SecureContextOptions {
  return {
    ...(material.key === undefined ? {} : { key: material.key, cert: material.cert.join('') }),
    ...(material.ca.length === 0 ? {} : { ca: material.ca }),
    minVersion: settings.minVersion,
    maxVersion: settings.maxVersion,
    ciphers: settings.ciphers.join(':'),
    // A server picks from its own list, as Java's SSLEngine on ZooKeeper's side does by default.
    honorCipherOrder: true,
  };
}

function readStore(store: StoreSettings, key: string): StoreContent {
  let bytes: Buffer;
  let password: string;
  try {
    bytes = readFileSync(store.location);
    password = store.passwordPath === undefined ? store.password : readSecret(store.passwordPath);
  } catch (error) {
    throw new ConfigError(`${key}.location: cannot read ${store.location}: ` +
      `${(error as Error).message}`, `${key}.location`);
  }
  try {
    switch (store.type) {
      case 'PEM':
        return readPem(bytes.toString('utf8'), password);
      case 'PKCS12':
        return readPkcs12(bytes, password);
      case 'JKS':
        return readJks(bytes, password);
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${key}: cannot load ${store.type} store ${store.location} ` +
      `(wrong ${key}.password?): ${(error as Error).message}`, `${key}.location`);
  }
}

/** SecretUtils.readSecret: the file's text less one trailing line separator. */
function readSecret(path: string): string {
  const text = readFileSync(path, 'utf8');
  return text.endsWith('\n') ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
}

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----\s*/g;

/** PemReader: private keys (PKCS#8, encrypted PKCS#8 with the password, PKCS#1) and certificates
 * in any order in one file. Keys come out decrypted, so Node needs no passphrase. */
function readPem(text: string, password: string): StoreContent {
  const keys: string[] = [];
  const certs: string[] = [];
  for (const match of text.matchAll(pemBlock)) {
    const label = match[1]!;
    const block = `${match[0].trim()}\n`;
    if (label === 'CERTIFICATE') certs.push(block);
    else if (label.endsWith('PRIVATE KEY')) keys.push(decryptPemKey(block, password));
  }
  return { keys, chain: certs, trusted: certs };
}

/** An encrypted PKCS#8 key is decrypted with the store password, as ZooKeeper's PemReader. */
function decryptPemKey(block: string, password: string): string {
  if (!block.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----')) return block;
  return createPrivateKey({ key: block, passphrase: password })
    .export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** PKCS12 through node-forge: certificate bags and (shrouded) key bags. A key or certificate
 * forge cannot model (EC keys) still comes out, from its ASN.1. */
function readPkcs12(bytes: Buffer, password: string): StoreContent {
  const forge = loadForge();
  const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')));
  const p12 = forge.pkcs12.pkcs12FromAsn1(asn1, password);
  const keys: string[] = [];
  const certs: string[] = [];
  for (const contents of p12.safeContents) {
    for (const bag of contents.safeBags) {
      if (bag.type === forge.pki.oids.certBag) {
        const der = bag.cert !== undefined && bag.cert !== null
          ? forge.pki.certificateToAsn1(bag.cert)
          : bag.asn1;
        if (der !== undefined) certs.push(pem('CERTIFICATE', der));
      } else if (bag.type === forge.pki.oids.pkcs8ShroudedKeyBag ||
        bag.type === forge.pki.oids.keyBag) {
        const info = bag.key !== undefined && bag.key !== null
          ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key))
          : bag.asn1;
        if (info !== undefined) keys.push(pem('PRIVATE KEY', info));
      }
    }
  }
  return { keys, chain: keyCertificateFirst(keys[0], certs), trusted: certs };
}

function pem(label: string, asn1: Forge.asn1.Asn1): string {
  const forge = loadForge();
  const der = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

/** Puts the certificate whose public key matches the private key first (Node wants the leaf
 * first; a PKCS12 file may hold its CA's certificate before it). */
function keyCertificateFirst(key: string | undefined, certs: string[]): string[] {
  if (key === undefined || certs.length < 2) return certs;
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const leaf = certs.findIndex((cert) =>
    new X509Certificate(cert).publicKey
      .export({ type: 'spki', format: 'der' }).equals(publicKey));
  if (leaf <= 0) return certs;
  return [certs[leaf]!, ...certs.filter((_, index) => index !== leaf)];
}

/** JKS through jks-js: a key entry gives a key and its chain; as in Java, only trusted
 * certificate entries make a trust store. */
function readJks(bytes: Buffer, password: string): StoreContent {
  const entries = loadJks().toPem(bytes, password);
  const keys: string[] = [];
  const chain: string[] = [];
  const trusted: string[] = [];
  const blocks = (text: string): string[] =>
    [...text.matchAll(pemBlock)].map((match) => `${match[0].trim()}\n`);
  for (const entry of Object.values(entries)) {
    if (entry.key !== undefined && entry.cert !== undefined && keys.length === 0) {
      keys.push(entry.key);
      chain.push(...blocks(entry.cert));
    }
    if (entry.ca !== undefined) trusted.push(...blocks(entry.ca));
  }
  return { keys, chain, trusted };
}
