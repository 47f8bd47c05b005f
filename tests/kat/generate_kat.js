#!/usr/bin/env node
/*
 * Known-answer-test generator for cognito_flows' SRP implementation.
 *
 * Every expected value in the output is produced by AWS's reference client,
 * npm `amazon-cognito-identity-js` (pinned to 6.3.21), driven through its real
 * public code path: `CognitoUser.authenticateUser` talks to a scripted fake
 * Cognito (`client.request` is replaced) and we record what the package sends.
 *
 *   - randomness: the package draws random bytes via
 *     lib/utils/cryptoSecureRandomInt.js -> `global.crypto.getRandomValues(new Uint32Array(1))`
 *     (captured at module load). We install a fake `globalThis.crypto` *before* the package is
 *     loaded that serves bytes from an explicit per-run queue and throws if the queue runs dry
 *     or is not fully consumed.
 *   - clock: `DateHelper.getNowString` uses `new Date()`. We replace the global `Date` with a
 *     subclass whose zero-argument constructor returns a pinned instant.
 *   - spies: AuthenticationHelper.prototype.getPasswordAuthenticationKey / calculateS are wrapped
 *     (calling the originals) only to *record* x, S and the HKDF key the package computes.
 *
 * The fake server is realistic: it holds a verifier v for the password, answers with
 * B = (k*v + g^b) mod N, checks that its own S = (A*v^u)^b equals the client's S and that the
 * PASSWORD_CLAIM_SIGNATURE verifies (with the package's own computehkdf and the package's
 * SHA-256/HMAC dependency). Server secrets b are found by a deterministic search so that each
 * case hits the edge properties it is meant to hit; the `covers` lists are then computed from
 * the values actually exchanged.
 *
 * Usage:  node generate_kat.js > srp_vectors.json
 * Output is deterministic (no real randomness, no real clock).
 */
'use strict';

const nodeCrypto = require('node:crypto');

// ---------------------------------------------------------------------------
// 1. Injected randomness (must be installed before the package is required).
// ---------------------------------------------------------------------------
const rng = { queue: Buffer.alloc(0), pos: 0, error: null };

const fakeWebCrypto = {
	getRandomValues(arr) {
		if (!(arr instanceof Uint32Array) || arr.length !== 1) {
			rng.error = new Error('unexpected getRandomValues call shape');
			throw rng.error;
		}
		if (rng.pos + 4 > rng.queue.length) {
			rng.error = new Error(
				`random byte queue exhausted (pos ${rng.pos}, len ${rng.queue.length})`
			);
			throw rng.error;
		}
		// WordArray.random() stores this 32-bit word and hexStringify() emits it big-endian,
		// so the four queued bytes come out in order.
		arr[0] = rng.queue.readUInt32BE(rng.pos);
		rng.pos += 4;
		return arr;
	},
};
Object.defineProperty(globalThis, 'crypto', {
	value: fakeWebCrypto,
	configurable: true,
	enumerable: true,
	writable: true,
});

/** Run fn with exactly `bytes` available as randomness; all of it must be consumed. */
function withRandom(bytes, fn) {
	rng.queue = Buffer.from(bytes);
	rng.pos = 0;
	rng.error = null;
	const out = fn();
	if (rng.error) throw rng.error;
	if (rng.pos !== rng.queue.length) {
		throw new Error(
			`random bytes not fully consumed: used ${rng.pos} of ${rng.queue.length}`
		);
	}
	rng.queue = Buffer.alloc(0);
	rng.pos = 0;
	return out;
}

// ---------------------------------------------------------------------------
// 2. Pinned clock.
// ---------------------------------------------------------------------------
const RealDate = Date;
const clock = { nowMs: null };
class PinnedDate extends RealDate {
	constructor(...args) {
		if (args.length === 0) {
			if (clock.nowMs === null) throw new Error('clock not pinned');
			super(clock.nowMs);
		} else {
			super(...args);
		}
	}
	static now() {
		if (clock.nowMs === null) throw new Error('clock not pinned');
		return clock.nowMs;
	}
}
globalThis.Date = PinnedDate;

// ---------------------------------------------------------------------------
// 3. The reference package (CommonJS build, lib/).
// ---------------------------------------------------------------------------
const pkgJson = require('amazon-cognito-identity-js/package.json');
const PINNED_VERSION = '6.3.21';
if (pkgJson.version !== PINNED_VERSION) {
	throw new Error(
		`amazon-cognito-identity-js ${pkgJson.version} installed, expected ${PINNED_VERSION} (run npm ci)`
	);
}
const Cognito = require('amazon-cognito-identity-js');
const AuthenticationHelper =
	require('amazon-cognito-identity-js/lib/AuthenticationHelper').default;
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger').default;
const DateHelper = require('amazon-cognito-identity-js/lib/DateHelper').default;
// HMAC-SHA256 exactly as the package does it (its own dependency), used by the fake server only.
const { Sha256 } = require(
	require.resolve('@aws-crypto/sha256-js', {
		paths: [require('node:path').dirname(require.resolve('amazon-cognito-identity-js'))],
	})
);
if (
	Cognito.AuthenticationHelper !== AuthenticationHelper ||
	Cognito.DateHelper !== DateHelper
) {
	throw new Error('package entry point and lib/ modules differ');
}
const { CognitoUser, CognitoUserPool, AuthenticationDetails } = Cognito;

// Spies: record what the package computes inside the SRP key derivation.
const trace = { phases: [], timestamps: [] };
const origGetKey = AuthenticationHelper.prototype.getPasswordAuthenticationKey;
AuthenticationHelper.prototype.getPasswordAuthenticationKey = function (
	username,
	password,
	serverB,
	salt,
	callback
) {
	const phase = {
		helper: this,
		poolName: this.poolName,
		username,
		password,
		B: serverB,
		salt,
	};
	trace.phases.push(phase);
	this.__katPhase = phase;
	return origGetKey.call(this, username, password, serverB, salt, (err, hkdf) => {
		phase.hkdf = hkdf;
		phase.u = this.UValue;
		callback(err, hkdf);
	});
};
const origCalcS = AuthenticationHelper.prototype.calculateS;
AuthenticationHelper.prototype.calculateS = function (x, serverB, callback) {
	const phase = this.__katPhase;
	phase.x = x;
	return origCalcS.call(this, x, serverB, (err, S) => {
		phase.S = S;
		callback(err, S);
	});
};
const origNow = DateHelper.prototype.getNowString;
DateHelper.prototype.getNowString = function () {
	const s = origNow.call(this);
	trace.timestamps.push({ nowMs: clock.nowMs, value: s });
	return s;
};

// A scratch helper: only used for the package's own primitives (padHex, hash, hexHash,
// calculateU, computehkdf, N, g, k) on the fake-server side and for searching.
clock.nowMs = 0;
const scratch = withRandom(Buffer.alloc(128, 0x5a), () => new AuthenticationHelper('scratch'));
const N = scratch.N;
const g = scratch.g;
const k = scratch.k;
const noop = () => {};

// ---------------------------------------------------------------------------
// 4. Small utilities (deterministic PRNG, encodings, property predicates).
// ---------------------------------------------------------------------------
function prng(label, n) {
	const out = [];
	let len = 0;
	for (let i = 0; len < n; i++) {
		const block = nodeCrypto
			.createHash('sha256')
			.update(`cognito_flows-kat-v1|${label}|${i}`, 'utf8')
			.digest();
		out.push(block);
		len += block.length;
	}
	return Buffer.concat(out).subarray(0, n);
}

/** First prng draw (label/0, label/1, ...) whose bytes satisfy pred. */
function prngWhere(label, n, pred) {
	for (let c = 0; c < 1 << 22; c++) {
		const bytes = prng(`${label}#${c}`, n);
		if (!pred || pred(bytes)) return bytes;
	}
	throw new Error(`prngWhere(${label}) found nothing`);
}

const big = hex => new BigInteger(hex, 16);
const bigFromBytes = buf => big(Buffer.from(buf).toString('hex') || '0');
function bytesOf(bi, len) {
	const hex = bi.toString(16);
	if (hex.length > 2 * len) throw new Error('integer does not fit');
	return Buffer.from(hex.padStart(2 * len, '0'), 'hex');
}
function dbl(x) {
	const y = x.add(x);
	return y.compareTo(N) >= 0 ? y.subtract(N) : y;
}
/** even-length minimal big-endian hex of a non-negative integer */
function evenHex(bi) {
	const h = bi.toString(16);
	return h.length % 2 ? `0${h}` : h;
}
const topBit = bi => /^[89a-f]/.test(evenHex(bi));
const padLen = bi => scratch.padHex(bi).length / 2; // bytes of the reference's padHex()
const poolNameOf = poolId => poolId.split('_')[1];

function userX(poolName, userId, password, saltBI) {
	// Fake-server side only (the server must know the verifier); checked against the client's
	// S and signature after every run, so a mistake here cannot produce a wrong vector.
	return big(
		scratch.hexHash(scratch.padHex(saltBI) + scratch.hash(`${poolName}${userId}:${password}`))
	);
}

function serverS(A, v, u, b) {
	return A.multiply(v.modPow(u, N, noop)).mod(N).modPow(b, N, noop);
}

function hmacB64(keyBuf, msgBuf) {
	const h = new Sha256(keyBuf);
	h.update(msgBuf);
	return Buffer.from(h.digestSync()).toString('base64');
}

function secretBlockFor(label) {
	const lenSeed = prng(`${label}/secret-len`, 2).readUInt16BE(0);
	const len = 720 + (lenSeed % 240); // realistic SECRET_BLOCK sizes, varied base64 padding
	return prng(`${label}/secret`, len).toString('base64');
}

function fakeJwt(sub, nowMs, use) {
	const enc = o => Buffer.from(JSON.stringify(o)).toString('base64url');
	const iat = Math.floor(nowMs / 1000);
	return `${enc({ alg: 'none', kid: 'kat' })}.${enc({
		sub,
		token_use: use,
		iat,
		exp: iat + 3600,
	})}.c2lnbmF0dXJl`;
}

function memoryStorage() {
	const data = new Map();
	return {
		setItem: (key, v) => data.set(key, v),
		getItem: key => (data.has(key) ? data.get(key) : null),
		removeItem: key => data.delete(key),
		clear: () => data.clear(),
		_data: data,
	};
}

// ---------------------------------------------------------------------------
// 5. Deterministic searches for client a and server b hitting given properties.
// ---------------------------------------------------------------------------
const A_FULL = 384;

function searchA(label, want = {}) {
	const aBytes0 = prngWhere(`${label}/a`, 128, want.aBytes);
	let a = bigFromBytes(aBytes0);
	let A = g.modPow(a, N, noop);
	for (let i = 0; i < 200000; i++) {
		if (!want.A || want.A(A)) {
			const aBytes = bytesOf(a, 128);
			if (want.aBytes && !want.aBytes(aBytes)) throw new Error('a drifted');
			return { aBytes, a, A };
		}
		a = a.add(BigInteger.ONE);
		A = dbl(A); // g^(a+1) = 2 * g^a
	}
	throw new Error(`searchA(${label}) found nothing`);
}

function searchB(label, A, v, want = {}) {
	let b = bigFromBytes(prng(`${label}/b`, 32)); // 256-bit server secret
	let gb = g.modPow(b, N, noop);
	const kv = k.multiply(v).mod(N);
	for (let j = 0; j < 2000000; j++) {
		const B = kv.add(gb).mod(N);
		if (!B.equals(BigInteger.ZERO)) {
			const u = scratch.calculateU(A, B);
			if ((!want.B || want.B(B)) && (!want.u || want.u(u))) {
				const S = want.S ? serverS(A, v, u, b) : null;
				if (!want.S || want.S(S)) return { b, B, u };
			}
		}
		b = b.add(BigInteger.ONE);
		gb = dbl(gb);
	}
	throw new Error(`searchB(${label}) found nothing`);
}

const renderSalt = {
	// what a Java BigInteger.toString(16)-style server sends: lower case, no leading zeros
	int: bytes => bigFromBytes(bytes).toString(16),
	// hex of the stored bytes verbatim (keeps leading 00 bytes), lower case
	bytes: bytes => Buffer.from(bytes).toString('hex'),
	// redundant leading zero bytes in front of the verbatim hex
	zeros: bytes => `0000${Buffer.from(bytes).toString('hex')}`,
	upper: bytes => bigFromBytes(bytes).toString(16).toUpperCase(),
	bytesUpper: bytes => Buffer.from(bytes).toString('hex').toUpperCase(),
};
const renderB = {
	lower: B => B.toString(16),
	upper: B => B.toString(16).toUpperCase(),
};

// ---------------------------------------------------------------------------
// 6. Property tags (computed from the values actually exchanged).
// ---------------------------------------------------------------------------
const nonAscii = s => /[^\x00-\x7f]/.test(s);
const astral = s => /[\u{10000}-\u{10ffff}]/u.test(s);
const combining = s => /[\u0300-\u036f]/.test(s);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TS_RE = /^(\w{3}) (\w{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) UTC (\d{4})$/;

function intTags(prefix, bi, fullBytes) {
	const tags = [topBit(bi) ? `${prefix}_top_bit` : `${prefix}_no_top_bit`];
	if (padLen(bi) < fullBytes) tags.push(`${prefix}_short`);
	return tags;
}

function srpTags({ aBytes, srpA, B, Bstr, u, S, saltStr, saltFull }) {
	const tags = [];
	if (aBytes[0] === 0) tags.push('a_leading_zero_bytes');
	const A = big(srpA);
	tags.push(...intTags('A', A, A_FULL));
	if (srpA.length % 2) tags.push('odd_length_SRP_A');
	tags.push(...intTags('B', B, A_FULL));
	if (Bstr.length % 2) tags.push('odd_length_SRP_B');
	if (/[A-F]/.test(Bstr)) tags.push('B_upper_case');
	if (/^0/.test(Bstr)) tags.push('B_leading_zeros');
	tags.push(...intTags('u', u, 32));
	tags.push(...intTags('S', S, A_FULL));
	const salt = big(saltStr);
	tags.push(topBit(salt) ? 'salt_top_bit' : 'salt_no_top_bit');
	if (padLen(salt) < saltFull) tags.push('salt_short');
	if (/^00/.test(saltStr)) tags.push('salt_leading_zero_bytes');
	if (saltStr.length % 2) tags.push('odd_length_SALT');
	if (/[A-F]/.test(saltStr)) tags.push('salt_upper_case');
	return tags;
}

function timestampTags(ts, nowMs) {
	const m = TS_RE.exec(ts);
	if (!m) throw new Error(`unexpected timestamp ${ts}`);
	const tags = [m[3].length === 1 ? 'single_digit_day' : 'two_digit_day'];
	if (Number(m[4]) < 10) tags.push('zero_padded_hour');
	if (m[4] === '00' && m[5] === '00' && m[6] === '00') tags.push('midnight');
	if (m[2] === 'Feb' && m[3] === '29') tags.push('leap_day');
	if (nowMs % 1000 !== 0) tags.push('nonzero_millis');
	tags.push(`weekday_${m[1]}`, `month_${m[2]}`);
	return tags;
}

function secretTags(secretB64) {
	const pad = (secretB64.match(/=*$/) || [''])[0].length;
	return [`secret_block_b64_padding_${pad}`];
}

// ---------------------------------------------------------------------------
// 7. One scripted sign-in through CognitoUser.authenticateUser.
// ---------------------------------------------------------------------------
const CLIENT_ID = '3n4b5urk1ft4fl3mg5e62d9ado';

/**
 * run = {
 *   poolId, username, userId, password, storage,
 *   user:   {aBytes, A, saltStr, Bstr, b, v, secret, nowMs},
 *   next:   'tokens' | {newDevice: {groupKey, deviceKey, pwBytes, saltBytes}}
 *           | {deviceSrp: {aBytes, A, saltStr, Bstr, b, v, secret, nowMs, deviceKey, groupKey}}
 * }
 */
function runSignIn(run) {
	trace.phases = [];
	trace.timestamps = [];
	const recorded = {};
	const tokenNow = () => clock.nowMs;
	const authResult = extra => ({
		AuthenticationResult: Object.assign(
			{
				AccessToken: fakeJwt(run.userId, tokenNow(), 'access'),
				IdToken: fakeJwt(run.userId, tokenNow(), 'id'),
				RefreshToken: 'kat-refresh-token',
				ExpiresIn: 3600,
				TokenType: 'Bearer',
			},
			extra || {}
		),
		ChallengeParameters: {},
	});
	const expect = (cond, msg) => {
		if (!cond) throw new Error(`[${run.label}] fake server: ${msg}`);
	};

	const fakeClient = {
		request(op, params, callback) {
			let resp;
			try {
				resp = handle(op, params);
			} catch (e) {
				recorded.serverError = e;
				return callback(e, null);
			}
			return callback(null, resp);
		},
	};

	function handle(op, params) {
		if (op === 'InitiateAuth') {
			expect(params.AuthFlow === 'USER_SRP_AUTH', 'AuthFlow');
			expect(params.ClientId === CLIENT_ID, 'ClientId');
			recorded.authParameters = params.AuthParameters;
			expect(params.AuthParameters.SRP_A === run.user.A.toString(16), 'unexpected SRP_A');
			recorded.userChallenge = {
				SRP_B: run.user.Bstr,
				SALT: run.user.saltStr,
				SECRET_BLOCK: run.user.secret,
				USER_ID_FOR_SRP: run.userId,
				USERNAME: run.userId,
			};
			return {
				ChallengeName: 'PASSWORD_VERIFIER',
				ChallengeParameters: Object.assign({}, recorded.userChallenge),
				Session: 'kat-session-1',
			};
		}
		if (op === 'RespondToAuthChallenge' && params.ChallengeName === 'PASSWORD_VERIFIER') {
			expect(params.Session === 'kat-session-1', 'Session');
			recorded.userResponses = params.ChallengeResponses;
			if (run.next.deviceSrp) {
				clock.nowMs = run.next.deviceSrp.nowMs; // time passes before the device round
				return {
					ChallengeName: 'DEVICE_SRP_AUTH',
					ChallengeParameters: {},
					Session: 'kat-session-2',
				};
			}
			if (run.next.newDevice) {
				return authResult({
					NewDeviceMetadata: {
						DeviceGroupKey: run.next.newDevice.groupKey,
						DeviceKey: run.next.newDevice.deviceKey,
					},
				});
			}
			return authResult();
		}
		if (op === 'RespondToAuthChallenge' && params.ChallengeName === 'DEVICE_SRP_AUTH') {
			const d = run.next.deviceSrp;
			expect(params.Session === 'kat-session-2', 'Session');
			recorded.deviceAuthParameters = params.ChallengeResponses;
			expect(params.ChallengeResponses.SRP_A === d.A.toString(16), 'unexpected device SRP_A');
			expect(params.ChallengeResponses.DEVICE_KEY === d.deviceKey, 'DEVICE_KEY');
			recorded.deviceChallenge = {
				SRP_B: d.Bstr,
				SALT: d.saltStr,
				SECRET_BLOCK: d.secret,
				USERNAME: run.userId,
				DEVICE_KEY: d.deviceKey,
			};
			return {
				ChallengeName: 'DEVICE_PASSWORD_VERIFIER',
				ChallengeParameters: Object.assign({}, recorded.deviceChallenge),
				Session: 'kat-session-3',
			};
		}
		if (
			op === 'RespondToAuthChallenge' &&
			params.ChallengeName === 'DEVICE_PASSWORD_VERIFIER'
		) {
			expect(params.Session === 'kat-session-3', 'Session');
			recorded.deviceResponses = params.ChallengeResponses;
			return authResult();
		}
		if (op === 'ConfirmDevice') {
			recorded.confirmDevice = params;
			return { UserConfirmationNecessary: false };
		}
		throw new Error(`unexpected request ${op} ${params.ChallengeName || ''}`);
	}

	const random = [run.user.aBytes];
	if (run.next.newDevice) random.push(run.next.newDevice.pwBytes, run.next.newDevice.saltBytes);
	if (run.next.deviceSrp) random.push(run.next.deviceSrp.aBytes);

	clock.nowMs = run.user.nowMs;
	let outcome = null;
	withRandom(Buffer.concat(random), () => {
		const pool = new CognitoUserPool({
			UserPoolId: run.poolId,
			ClientId: CLIENT_ID,
			Storage: run.storage,
		});
		pool.client = fakeClient;
		const user = new CognitoUser({
			Username: run.username,
			Pool: pool,
			Storage: run.storage,
		});
		user.authenticateUser(
			new AuthenticationDetails({ Username: run.username, Password: run.password }),
			{
				onSuccess: () => {
					outcome = 'success';
				},
				onFailure: err => {
					outcome = err;
				},
			}
		);
	});
	if (outcome !== 'success') {
		throw new Error(`[${run.label}] sign-in did not succeed synchronously: ${outcome && (outcome.stack || outcome)}`);
	}
	clock.nowMs = null;
	return recorded;
}

/** Fake-server verification of one SRP phase + assembly of the vector's core fields. */
function checkPhase(label, phase, { A, b, v, secret, signPrefix, ts, responses }) {
	const S = serverS(A, v, phase.u, b);
	if (!S.equals(phase.S)) throw new Error(`[${label}] server S != client S`);
	const key = scratch.computehkdf(
		Buffer.from(scratch.padHex(S), 'hex'),
		Buffer.from(scratch.padHex(phase.u), 'hex')
	);
	if (!Buffer.from(key).equals(Buffer.from(phase.hkdf))) throw new Error(`[${label}] hkdf`);
	const sig = hmacB64(
		key,
		Buffer.concat([
			Buffer.from(signPrefix, 'utf8'),
			Buffer.from(secret, 'base64'),
			Buffer.from(ts, 'utf8'),
		])
	);
	if (sig !== responses.PASSWORD_CLAIM_SIGNATURE) throw new Error(`[${label}] signature`);
	if (responses.PASSWORD_CLAIM_SECRET_BLOCK !== secret) throw new Error(`[${label}] secret`);
	if (responses.TIMESTAMP !== ts) throw new Error(`[${label}] timestamp`);
}

// ---------------------------------------------------------------------------
// 8. Case definitions.
// ---------------------------------------------------------------------------
const utc = (y, mo, d, h, mi, s, ms = 0) => RealDate.UTC(y, mo - 1, d, h, mi, s, ms);
const saltPred = {
	top: bytes => bytes[0] >= 0x80,
	mid: bytes => bytes[0] >= 0x10 && bytes[0] < 0x80, // 16 bytes, no top bit, 32 hex chars
	oddNibble: bytes => bytes[0] > 0 && bytes[0] < 0x10, // int hex has 31 chars
	short15: bytes => bytes[0] === 0 && bytes[1] >= 0x10 && bytes[1] < 0x80,
	zeroThenTop: bytes => bytes[0] === 0 && bytes[1] >= 0x80,
	short14: bytes => bytes[0] === 0 && bytes[1] === 0 && bytes[2] >= 0x10 && bytes[2] < 0x80,
};
const is = {
	Atop: A => topBit(A) && padLen(A) === 385,
	Anotop: A => !topBit(A) && padLen(A) === 384 && A.toString(16).length % 2 === 0,
	Aodd: A => A.toString(16).length % 2 === 1,
	Ashort: A => padLen(A) < 384,
	Btop: B => topBit(B),
	Bnotop: B => !topBit(B) && padLen(B) === 384 && B.toString(16).length % 2 === 0,
	Bodd: B => B.toString(16).length % 2 === 1,
	utop: u => topBit(u),
	unotop: u => !topBit(u) && padLen(u) === 32,
	ushort: u => padLen(u) === 31,
	Stop: S => topBit(S),
	Snotop: S => !topBit(S) && padLen(S) === 384,
	Sshort: S => padLen(S) < 384,
};
const both = (...ps) => x => ps.every(p => p(x));

// Stand-alone USER_SRP_AUTH -> PASSWORD_VERIFIER cases.
const USER_CASES = [
	{
		name: 'baseline_ascii_no_top_bits',
		poolId: 'eu-west-1_AbCdEf123',
		username: 'alice',
		userId: 'alice',
		password: 'Passw0rd!',
		nowMs: utc(2024, 3, 5, 7, 8, 9),
		salt: { pred: saltPred.mid, render: 'int' },
		want: { A: is.Anotop, B: is.Bnotop, u: is.unotop, S: is.Snotop },
	},
	{
		name: 'A_top_bit_set',
		poolId: 'eu-west-1_AbCdEf123',
		username: 'bob',
		userId: 'bob',
		password: 'correct horse battery staple',
		nowMs: utc(2024, 1, 15, 12, 34, 56),
		salt: { pred: saltPred.mid, render: 'int' },
		want: { A: is.Atop },
	},
	{
		name: 'odd_length_SRP_A',
		poolId: 'us-east-1_XyZ987',
		username: 'carol',
		userId: 'carol',
		password: 'Tr0ub4dor&3',
		nowMs: utc(2024, 4, 20, 9, 5, 3),
		salt: { pred: saltPred.mid, render: 'int' },
		want: { A: is.Aodd },
	},
	{
		name: 'A_short_leading_zero_byte',
		poolId: 'us-east-1_XyZ987',
		username: 'dan',
		userId: 'dan',
		password: 'P@ssword1',
		nowMs: utc(2024, 5, 1, 18, 0, 1),
		salt: { pred: saltPred.mid, render: 'int' },
		want: { A: is.Ashort },
	},
	{
		name: 'a_leading_zero_bytes',
		poolId: 'ap-northeast-1_Jp0001',
		username: 'erin',
		userId: 'erin',
		password: 'short',
		nowMs: utc(2024, 5, 19, 3, 14, 15),
		salt: { pred: saltPred.mid, render: 'int' },
		want: { aBytes: bytes => bytes[0] === 0 && bytes[1] === 0 },
	},
	{
		name: 'B_top_bit_u_top_bit',
		poolId: 'eu-west-1_AbCdEf123',
		username: 'frank',
		userId: 'frank',
		password: 'Secret-123',
		nowMs: utc(2024, 6, 30, 22, 45, 0),
		salt: { pred: saltPred.mid, render: 'int' },
		want: { B: is.Btop, u: is.utop },
	},
	{
		name: 'u_short_31_bytes',
		poolId: 'eu-west-1_AbCdEf123',
		username: 'grace',
		userId: 'grace',
		password: 'hunter2hunter2',
		nowMs: utc(2024, 7, 4, 16, 20, 0),
		salt: { pred: saltPred.mid, render: 'int' },
		want: { u: is.ushort },
	},
	{
		name: 'S_top_bit_odd_length_SRP_B',
		poolId: 'sa-east-1_Br4zil',
		username: 'heidi',
		userId: 'heidi',
		password: 'Sup3r$ecret',
		nowMs: utc(2024, 8, 9, 10, 11, 12),
		salt: { pred: saltPred.mid, render: 'int' },
		want: { B: is.Bodd, S: is.Stop },
	},
	{
		name: 'S_short',
		poolId: 'sa-east-1_Br4zil',
		username: 'ivan',
		userId: 'ivan',
		password: 'qwertyuiop',
		nowMs: utc(2024, 9, 10, 8, 9, 10),
		salt: { pred: saltPred.mid, render: 'int' },
		want: { S: is.Sshort },
	},
	{
		name: 'salt_top_bit',
		poolId: 'ca-central-1_Mpl3',
		username: 'judy',
		userId: 'judy',
		password: 'maple-syrup',
		nowMs: utc(2024, 10, 31, 23, 59, 58),
		salt: { pred: saltPred.top, render: 'int' },
		want: {},
	},
	{
		name: 'salt_short_15_bytes',
		poolId: 'ca-central-1_Mpl3',
		username: 'mallory',
		userId: 'mallory',
		password: 'N0tMyP4ss',
		nowMs: utc(2024, 11, 11, 11, 11, 11),
		salt: { pred: saltPred.short15, render: 'int' },
		want: {},
	},
	{
		name: 'salt_redundant_leading_zero_bytes',
		poolId: 'eu-west-2_Ldn42',
		username: 'niaj',
		userId: 'niaj',
		password: 'London-Calling',
		nowMs: utc(2025, 1, 2, 2, 3, 4),
		salt: { pred: saltPred.top, render: 'zeros' },
		want: {},
	},
	{
		name: 'salt_and_B_upper_case_odd_length_salt',
		poolId: 'eu-west-2_Ldn42',
		username: 'olivia',
		userId: 'olivia',
		password: 'UPPER-lower-123',
		nowMs: utc(2024, 12, 25, 6, 7, 8),
		salt: { pred: saltPred.oddNibble, render: 'upper' },
		Brender: 'upper',
		want: { B: both(is.Bnotop, B => /[a-f]/.test(B.toString(16))) },
	},
	{
		name: 'unicode_latin_username_and_password',
		poolId: 'eu-central-1_DeUtScH1',
		username: 'Jürgen',
		userId: 'Jürgen',
		password: 'pässwörd€',
		nowMs: utc(2025, 2, 3, 13, 0, 0),
		salt: { pred: saltPred.mid, render: 'int' },
		want: {},
	},
	{
		name: 'unicode_cjk_username_emoji_password',
		poolId: 'ap-northeast-1_Jp0001',
		username: '用户',
		userId: '用户',
		password: 'Pa$$😀🔐wörd',
		nowMs: utc(2023, 2, 28, 21, 30, 45),
		salt: { pred: saltPred.mid, render: 'int' },
		want: {},
	},
	{
		name: 'email_alias_uuid_user_id_leap_day_midnight',
		poolId: 'us-east-1_XyZ987',
		username: 'bob@example.com',
		userId: '8f0c2a4e-6d1b-4f3a-9c2e-1b7d5e9a0c31',
		password: 'Alias-Login-1',
		nowMs: utc(2024, 2, 29, 0, 0, 0),
		salt: { pred: saltPred.mid, render: 'int' },
		want: {},
	},
	{
		name: 'nfd_combining_password_year_end_millis',
		poolId: 'eu-west-1_AbCdEf123',
		username: 'peggy',
		userId: 'peggy',
		password: 'Cafe\u0301-pa\u0308ss-\u00e9',
		nowMs: utc(2023, 12, 31, 23, 59, 59, 999),
		salt: { pred: saltPred.mid, render: 'int' },
		want: {},
	},
];

// ConfirmDevice cases: a user sign-in whose PASSWORD_VERIFIER answer carries NewDeviceMetadata.
const CONFIRM_CASES = [
	{
		name: 'device_salt_17_bytes_top_bit',
		poolId: 'ap-southeast-2_Qw3rTy',
		username: 'dave',
		userId: 'dave',
		password: 'Device-Owner-1',
		nowMs: utc(2024, 3, 7, 8, 30, 0),
		groupKey: '-Xk3pQ9vZ',
		deviceKey: 'ap-southeast-2_0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9',
		saltBytes: saltPred.top,
		verifier: v => padLen(v) === 385,
	},
	{
		name: 'device_salt_16_bytes_no_top_bit',
		poolId: 'eu-west-1_AbCdEf123',
		username: 'erika@example.org',
		userId: '2c9d7e51-0a3b-4c6d-8e9f-a1b2c3d4e5f6',
		password: 'Remember-Me-2',
		nowMs: utc(2024, 2, 28, 23, 58, 30),
		groupKey: '-aBcDeF01',
		deviceKey: 'eu-west-1_9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a',
		saltBytes: saltPred.mid,
		verifier: v => padLen(v) === 384 && !topBit(v),
	},
	{
		name: 'device_salt_15_bytes_leading_zero_byte',
		poolId: 'us-west-2_Orgn1',
		username: 'Jürgen',
		userId: 'Jürgen',
		password: 'Grüße-aus-Köln',
		nowMs: utc(2024, 8, 1, 5, 6, 7),
		groupKey: '-pBVgf1Hp',
		deviceKey: 'us-west-2_1a2b3c4d-5e6f-4a8b-9c0d-e1f2a3b4c5d6',
		saltBytes: saltPred.short15,
	},
	{
		name: 'device_salt_16_bytes_leading_zero_byte_top_bit',
		poolId: 'us-west-2_Orgn1',
		username: '用户',
		userId: '用户',
		password: 'Pa$$😀🔐wörd',
		nowMs: utc(2024, 10, 9, 19, 1, 2),
		groupKey: '-Zz9Yy8Xx',
		deviceKey: 'us-west-2_7e6d5c4b-3a29-4817-8654-3210fedcba98',
		saltBytes: saltPred.zeroThenTop,
	},
	{
		name: 'device_verifier_short',
		poolId: 'eu-north-1_Svea7',
		username: 'sven',
		userId: 'sven',
		password: 'Sm0rg4sb0rd!',
		nowMs: utc(2025, 6, 1, 12, 0, 0),
		groupKey: '-Qq1Ww2Ee',
		deviceKey: 'eu-north-1_a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
		saltBytes: saltPred.mid,
		verifier: v => padLen(v) < 384,
	},
	{
		name: 'device_salt_14_bytes_two_leading_zero_bytes',
		poolId: 'eu-north-1_Svea7',
		username: 'tove',
		userId: 'tove',
		password: 'Two-Zero-Bytes',
		nowMs: utc(2025, 6, 2, 12, 0, 0),
		groupKey: '-Rr3Tt4Yy',
		deviceKey: 'eu-north-1_b1c2d3e4-f5a6-4b7c-9d8e-0f1a2b3c4d5e',
		saltBytes: saltPred.short14,
	},
];

// DEVICE_SRP_AUTH -> DEVICE_PASSWORD_VERIFIER cases, each on a device remembered above.
const DEVICE_CASES = [
	{
		name: 'device_login_odd_length_SRP_A',
		device: 'device_salt_17_bytes_top_bit',
		userNowMs: utc(2024, 3, 8, 9, 0, 0),
		nowMs: utc(2024, 3, 8, 9, 0, 1, 250),
		saltRender: 'bytes',
		want: { A: is.Aodd },
	},
	{
		name: 'device_login_day_rollover_top_bits',
		device: 'device_salt_16_bytes_no_top_bit',
		userNowMs: utc(2024, 2, 28, 23, 59, 59, 950),
		nowMs: utc(2024, 2, 29, 0, 0, 0, 120),
		saltRender: 'int',
		want: { A: is.Atop, B: is.Btop, u: is.utop, S: is.Stop },
	},
	{
		name: 'device_login_u_short_15_byte_salt',
		device: 'device_salt_15_bytes_leading_zero_byte',
		userNowMs: utc(2024, 8, 3, 7, 7, 7),
		nowMs: utc(2024, 8, 3, 7, 7, 8),
		saltRender: 'bytes',
		want: { u: is.ushort },
	},
	{
		name: 'device_login_upper_case_B_and_salt_S_short',
		device: 'device_verifier_short',
		userNowMs: utc(2025, 6, 15, 17, 45, 30),
		nowMs: utc(2025, 6, 15, 17, 45, 31),
		saltRender: 'bytesUpper',
		Brender: 'upper',
		want: { S: is.Sshort },
	},
	{
		name: 'device_login_second_sign_in_same_device',
		device: 'device_salt_17_bytes_top_bit',
		userNowMs: utc(2024, 4, 1, 0, 0, 59),
		nowMs: utc(2024, 4, 1, 0, 1, 0),
		saltRender: 'int',
		want: { A: is.Anotop, B: is.Bnotop, u: is.unotop, S: is.Snotop },
	},
	{
		name: 'device_login_salt_leading_zero_top_bit_unicode_user',
		device: 'device_salt_16_bytes_leading_zero_byte_top_bit',
		userNowMs: utc(2024, 10, 12, 10, 10, 10),
		nowMs: utc(2024, 10, 12, 10, 10, 11),
		saltRender: 'bytes',
		want: { A: is.Ashort },
	},
	{
		name: 'device_login_14_byte_salt',
		device: 'device_salt_14_bytes_two_leading_zero_bytes',
		userNowMs: utc(2025, 7, 6, 1, 2, 3),
		nowMs: utc(2025, 7, 6, 1, 2, 4),
		saltRender: 'int',
		want: {},
	},
];

// ---------------------------------------------------------------------------
// 9. Driving the cases.
// ---------------------------------------------------------------------------
function makeAccount(label, c, saltPredicate, saltRenderName) {
	const saltBytes = prngWhere(`${label}/salt`, 16, saltPredicate);
	const saltStr = renderSalt[saltRenderName](saltBytes);
	const saltBI = big(saltStr);
	const x = userX(poolNameOf(c.poolId), c.userId, c.password, saltBI);
	const v = g.modPow(x, N, noop);
	return { saltBytes, saltStr, v };
}

function userPhasePlan(label, account, want = {}, Brender = 'lower', nowMs) {
	const { aBytes, A } = searchA(label, want);
	const { b, B } = searchB(label, A, account.v, want);
	return {
		aBytes,
		A,
		b,
		v: account.v,
		saltStr: account.saltStr,
		Bstr: renderB[Brender](B),
		secret: secretBlockFor(label),
		nowMs,
	};
}

function userVector(name, c, plan, rec, phase, flow) {
	const ts = rec.userResponses.TIMESTAMP;
	checkPhase(name, phase, {
		A: plan.A,
		b: plan.b,
		v: plan.v,
		secret: plan.secret,
		signPrefix: poolNameOf(c.poolId) + c.userId,
		ts,
		responses: rec.userResponses,
	});
	if (rec.userResponses.USERNAME !== c.userId) throw new Error(`[${name}] USERNAME`);
	if (rec.authParameters.USERNAME !== c.username) throw new Error(`[${name}] typed USERNAME`);
	if (phase.username !== c.userId || phase.password !== c.password) throw new Error(name);
	const covers = [
		...srpTags({
			aBytes: plan.aBytes,
			srpA: rec.authParameters.SRP_A,
			B: phase.B,
			Bstr: rec.userChallenge.SRP_B,
			u: phase.u,
			S: phase.S,
			saltStr: rec.userChallenge.SALT,
			saltFull: 16,
		}),
		...timestampTags(ts, plan.nowMs),
		...secretTags(plan.secret),
	];
	if (nonAscii(c.username)) covers.push('unicode_username');
	if (nonAscii(c.userId)) covers.push('unicode_user_id_for_srp');
	if (nonAscii(c.password)) covers.push('unicode_password');
	if (astral(c.password)) covers.push('astral_plane_password');
	if (combining(c.password)) covers.push('nfd_combining_marks_password');
	if (c.username !== c.userId) covers.push('email_alias_username');
	if (UUID_RE.test(c.userId)) covers.push('uuid_user_id_for_srp');
	if ('DEVICE_KEY' in rec.userResponses) covers.push('device_key_present');
	return {
		name,
		flow,
		covers,
		user_pool_id: c.poolId,
		client_id: CLIENT_ID,
		username: c.username,
		password: c.password,
		random_a_hex: plan.aBytes.toString('hex'),
		a_hex: phase.helper.smallAValue.toString(16),
		now_epoch_ms: plan.nowMs,
		expected_srp_a: rec.authParameters.SRP_A,
		expected_auth_parameters: rec.authParameters,
		challenge: rec.userChallenge,
		expected_u_hex: phase.u.toString(16),
		expected_x_hex: phase.x.toString(16),
		expected_s_hex: phase.S.toString(16),
		expected_hkdf_key_hex: Buffer.from(phase.hkdf).toString('hex'),
		expected_timestamp: ts,
		expected_challenge_responses: rec.userResponses,
		fake_server: { b_hex: plan.b.toString(16), verifier_hex: plan.v.toString(16) },
	};
}

function main() {
	const out = {
		generator: {
			package: 'amazon-cognito-identity-js',
			version: pkgJson.version,
			node: process.version,
			script: 'tests/kat/generate_kat.js',
		},
		user_srp: [],
		device_confirm: [],
		device_srp: [],
	};

	// --- stand-alone user sign-ins -----------------------------------------------------------
	for (const c of USER_CASES) {
		const account = makeAccount(c.name, c, c.salt.pred, c.salt.render);
		const plan = userPhasePlan(c.name, account, c.want, c.Brender, c.nowMs);
		const rec = runSignIn({
			label: c.name,
			poolId: c.poolId,
			username: c.username,
			userId: c.userId,
			password: c.password,
			storage: memoryStorage(),
			user: plan,
			next: 'tokens',
		});
		if (trace.phases.length !== 1) throw new Error(`[${c.name}] phases`);
		out.user_srp.push(userVector(c.name, c, plan, rec, trace.phases[0], 'user_srp'));
	}

	// --- sign-ins that remember a new device (ConfirmDevice) ---------------------------------
	const devices = new Map();
	for (const c of CONFIRM_CASES) {
		const account = makeAccount(c.name, c, saltPred.mid, 'int');
		const userName = `${c.name}__user_phase`;
		const plan = userPhasePlan(userName, account, {}, 'lower', c.nowMs);

		// Search the 40 + 16 device random bytes with the package's own generateHashDevice.
		let pwBytes;
		let saltBytes;
		for (let i = 0; ; i++) {
			if (i > 100000) throw new Error(`[${c.name}] device search`);
			pwBytes = prng(`${c.name}/device-password#${i}`, 40);
			saltBytes = prng(`${c.name}/device-salt#${i}`, 16);
			if (!c.saltBytes(saltBytes)) continue;
			if (!c.verifier) break;
			withRandom(Buffer.concat([pwBytes, saltBytes]), () =>
				scratch.generateHashDevice(c.groupKey, c.deviceKey, noop)
			);
			if (c.verifier(big(scratch.getVerifierDevices()))) break;
		}

		const storage = memoryStorage();
		const rec = runSignIn({
			label: c.name,
			poolId: c.poolId,
			username: c.username,
			userId: c.userId,
			password: c.password,
			storage,
			user: plan,
			next: { newDevice: { groupKey: c.groupKey, deviceKey: c.deviceKey, pwBytes, saltBytes } },
		});
		if (trace.phases.length !== 1) throw new Error(`[${c.name}] phases`);
		out.user_srp.push(
			userVector(userName, c, plan, rec, trace.phases[0], `device_confirm:${c.name}`)
		);

		const cfg = rec.confirmDevice.DeviceSecretVerifierConfig;
		if (rec.confirmDevice.DeviceKey !== c.deviceKey) throw new Error(c.name);
		const prefix = `CognitoIdentityServiceProvider.${CLIENT_ID}.${c.userId}`;
		const devicePassword = storage.getItem(`${prefix}.randomPasswordKey`);
		if (storage.getItem(`${prefix}.deviceKey`) !== c.deviceKey) throw new Error(c.name);
		if (storage.getItem(`${prefix}.deviceGroupKey`) !== c.groupKey) throw new Error(c.name);
		const saltBuf = Buffer.from(cfg.Salt, 'base64');
		const verBuf = Buffer.from(cfg.PasswordVerifier, 'base64');
		const verifier = bigFromBytes(verBuf);
		const covers = [`salt_${saltBuf.length}_bytes`];
		// top bit of the salt *integer's* minimal encoding (=> padHex prepends a 00 byte)
		covers.push(topBit(bigFromBytes(saltBytes)) ? 'salt_top_bit' : 'salt_no_top_bit');
		if (saltBytes[0] === 0) covers.push('salt_random_leading_zero_byte');
		if (saltBuf[0] === 0) covers.push('salt_encoding_leading_zero_byte');
		covers.push(`verifier_${verBuf.length}_bytes`);
		if (verBuf.length < 384) covers.push('verifier_short');
		covers.push(topBit(verifier) ? 'verifier_top_bit' : 'verifier_no_top_bit');
		if (devicePassword.includes('+')) covers.push('device_password_has_plus');
		if (devicePassword.includes('/')) covers.push('device_password_has_slash');
		out.device_confirm.push({
			name: c.name,
			covers,
			user_srp_case: userName,
			device_group_key: c.groupKey,
			device_key: c.deviceKey,
			random_password_bytes_hex: pwBytes.toString('hex'),
			random_salt_bytes_hex: saltBytes.toString('hex'),
			expected_device_password: devicePassword,
			expected_salt_hex: saltBuf.toString('hex'),
			expected_salt_b64: cfg.Salt,
			expected_verifier_hex: verBuf.toString('hex'),
			expected_verifier_b64: cfg.PasswordVerifier,
		});
		devices.set(c.name, { c, account, storage, devicePassword, saltBuf, verifier });
	}

	// --- sign-ins on a remembered device (DEVICE_SRP_AUTH) -----------------------------------
	for (const dc of DEVICE_CASES) {
		const dev = devices.get(dc.device);
		const c = dev.c;
		const userName = `${dc.name}__user_phase`;
		const userPlan = userPhasePlan(userName, dev.account, {}, 'lower', dc.userNowMs);
		const { aBytes, A } = searchA(dc.name, dc.want);
		const { b, B } = searchB(dc.name, A, dev.verifier, dc.want);
		const devPlan = {
			aBytes,
			A,
			b,
			v: dev.verifier,
			saltStr: renderSalt[dc.saltRender](dev.saltBuf),
			Bstr: renderB[dc.Brender || 'lower'](B),
			secret: secretBlockFor(dc.name),
			nowMs: dc.nowMs,
			deviceKey: c.deviceKey,
			groupKey: c.groupKey,
		};
		const rec = runSignIn({
			label: dc.name,
			poolId: c.poolId,
			username: c.username,
			userId: c.userId,
			password: c.password,
			storage: dev.storage,
			user: userPlan,
			next: { deviceSrp: devPlan },
		});
		if (trace.phases.length !== 2) throw new Error(`[${dc.name}] phases`);
		const [userPhase, devPhase] = trace.phases;
		if (rec.userResponses.DEVICE_KEY !== c.deviceKey) throw new Error(`[${dc.name}] DEVICE_KEY`);
		out.user_srp.push(
			userVector(userName, c, userPlan, rec, userPhase, `device_srp:${dc.name}`)
		);

		const ts = rec.deviceResponses.TIMESTAMP;
		checkPhase(dc.name, devPhase, {
			A: devPlan.A,
			b: devPlan.b,
			v: devPlan.v,
			secret: devPlan.secret,
			signPrefix: c.groupKey + c.deviceKey,
			ts,
			responses: rec.deviceResponses,
		});
		if (devPhase.poolName !== c.groupKey) throw new Error(dc.name);
		if (devPhase.username !== c.deviceKey || devPhase.password !== dev.devicePassword) {
			throw new Error(dc.name);
		}
		if (rec.deviceResponses.USERNAME !== c.userId) throw new Error(dc.name);
		if (rec.deviceResponses.DEVICE_KEY !== c.deviceKey) throw new Error(dc.name);
		if (devPhase.helper === userPhase.helper) throw new Error('device phase reused helper');

		const covers = [
			...srpTags({
				aBytes: devPlan.aBytes,
				srpA: rec.deviceAuthParameters.SRP_A,
				B: devPhase.B,
				Bstr: rec.deviceChallenge.SRP_B,
				u: devPhase.u,
				S: devPhase.S,
				saltStr: rec.deviceChallenge.SALT,
				saltFull: 16,
			}),
			`device_salt_${dev.saltBuf.length}_bytes`,
			...timestampTags(ts, dc.nowMs),
			...secretTags(devPlan.secret),
			'fresh_a_for_device_phase',
		];
		if (rec.userResponses.TIMESTAMP.split(' ')[2] !== ts.split(' ')[2]) {
			covers.push('day_rollover_between_phases');
		}
		if (nonAscii(c.userId)) covers.push('unicode_user_id_for_srp');
		if (c.username !== c.userId) covers.push('email_alias_username');
		if (UUID_RE.test(c.userId)) covers.push('uuid_user_id_for_srp');
		if (padLen(dev.verifier) < 384) covers.push('device_verifier_short');
		out.device_srp.push({
			name: dc.name,
			covers,
			device_confirm_case: dc.device,
			user_srp_case: userName,
			user_pool_id: c.poolId,
			client_id: CLIENT_ID,
			username: c.username,
			device_group_key: c.groupKey,
			device_key: c.deviceKey,
			device_password: dev.devicePassword,
			user_id_for_srp: c.userId,
			random_a_hex: devPlan.aBytes.toString('hex'),
			a_hex: devPhase.helper.smallAValue.toString(16),
			now_epoch_ms: dc.nowMs,
			expected_srp_a: rec.deviceAuthParameters.SRP_A,
			expected_device_srp_auth_responses: rec.deviceAuthParameters,
			challenge: rec.deviceChallenge,
			expected_u_hex: devPhase.u.toString(16),
			expected_x_hex: devPhase.x.toString(16),
			expected_s_hex: devPhase.S.toString(16),
			expected_hkdf_key_hex: Buffer.from(devPhase.hkdf).toString('hex'),
			expected_timestamp: ts,
			expected_challenge_responses: rec.deviceResponses,
			fake_server: { b_hex: devPlan.b.toString(16), verifier_hex: devPlan.v.toString(16) },
		});
	}

	process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main();
