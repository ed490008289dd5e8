import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";

/**
 * A passkey in software, for Node tests: one P-256 key pair that answers
 * WebAuthn options as a platform authenticator and the browser around it
 * would. Registration answers with attestation "none"; authentication signs
 * authenticatorData || SHA-256(clientDataJSON) with ECDSA-SHA256 (DER).
 * It signs whatever it is given, for any origin it is told: the tests play
 * the attacker with it as much as the staff member.
 */

/** What a test may change in one answer, to see it refused. */
export interface AnswerOverrides {
  /** The page's origin the browser reports (default: the authenticator's). */
  origin?: string;
  /** The relying party whose hash starts authenticatorData (default: the options'). */
  rpId?: string;
  /** Whether the user was verified (PIN, biometrics); default true. */
  userVerified?: boolean;
  /** A challenge to sign instead of the options' own. */
  challenge?: string;
}

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_ATTESTED_CREDENTIAL = 0x40;

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();
const base64url = (data: Uint8Array) => Buffer.from(data).toString("base64url");

// ---- The little CBOR (RFC 8949) a "none" attestation needs ----------------------

type CborValue = number | string | Uint8Array | Map<number | string, CborValue>;

function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
  const head = Buffer.alloc(5);
  head[0] = (major << 5) | 26;
  head.writeUInt32BE(length, 1);
  return head;
}

function encodeCbor(value: CborValue): Buffer {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error("only integers are encoded");
    return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  }
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([cborHead(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value]);
  const parts = [cborHead(5, value.size)];
  for (const [key, item] of value) parts.push(encodeCbor(key), encodeCbor(item));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------

const clientData = (type: "webauthn.create" | "webauthn.get", challenge: string, origin: string) =>
  Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), "utf8");

function flagsByte(overrides: AnswerOverrides, extra = 0) {
  return FLAG_USER_PRESENT | (overrides.userVerified === false ? 0 : FLAG_USER_VERIFIED) | extra;
}

function counterBytes(counter: number) {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter);
  return bytes;
}

export class SoftwareAuthenticator {
  readonly credentialId = base64url(randomBytes(16));
  /** Signatures given so far (authenticatorData's counter). */
  signCount = 0;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(readonly origin: string) {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  /** The public key as COSE_Key: EC2, ES256, P-256, x, y. */
  private coseKey(): Buffer {
    const jwk = this.publicKey.export({ format: "jwk" });
    return encodeCbor(
      new Map<number, CborValue>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, "base64url")],
        [-3, Buffer.from(jwk.y!, "base64url")],
      ]),
    );
  }

  /** navigator.credentials.create(), as the browser hands its answer to the page. */
  register(options: PublicKeyCredentialCreationOptionsJSON, overrides: AnswerOverrides = {}): RegistrationResponseJSON {
    const rawId = Buffer.from(this.credentialId, "base64url");
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(rawId.length);
    const authData = Buffer.concat([
      sha256(overrides.rpId ?? options.rp.id ?? new URL(this.origin).hostname),
      Buffer.from([flagsByte(overrides, FLAG_ATTESTED_CREDENTIAL)]),
      counterBytes(this.signCount),
      Buffer.alloc(16), // AAGUID: none given
      idLength,
      rawId,
      this.coseKey(),
    ]);
    const attestationObject = encodeCbor(
      new Map<string, CborValue>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: "public-key",
      response: {
        clientDataJSON: base64url(clientData("webauthn.create", overrides.challenge ?? options.challenge, overrides.origin ?? this.origin)),
        attestationObject: base64url(attestationObject),
        transports: ["internal"],
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get(): a signature over the options' challenge. */
  authenticate(options: PublicKeyCredentialRequestOptionsJSON, overrides: AnswerOverrides = {}): AuthenticationResponseJSON {
    this.signCount += 1;
    const authData = Buffer.concat([
      sha256(overrides.rpId ?? options.rpId ?? new URL(this.origin).hostname),
      Buffer.from([flagsByte(overrides)]),
      counterBytes(this.signCount),
    ]);
    const clientDataJSON = clientData("webauthn.get", overrides.challenge ?? options.challenge, overrides.origin ?? this.origin);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: "public-key",
      response: {
        authenticatorData: base64url(authData),
        clientDataJSON: base64url(clientDataJSON),
        signature: base64url(signature),
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }
}
