// Drives the local Cognito with Amplify JS v6 (npm aws-amplify, unchanged), one scenario
// after another in one Node process (tests/local/amplify_peer.py keeps one per test worker).
//
// Usage: node amplify_flow.js   (then JSON lines on stdin; end stdin to exit)
//
// Protocol with the Python test (tests/local/test_amplify.py), one JSON object a line:
//   Python -> Node (stdin): {"scenario": {endpoint, userPoolId, clientId, scenario, args},
//                  "id": N} runs one scenario; it is sent only when no scenario is running.
//   Node -> Python (stdout): {"ask": KIND, ...}  Python answers one line on stdin: {"value": ...}
//     KIND "code"  {username, purpose}: the newest code the emulator's outbox holds
//     KIND "totp"  {secret}: the TOTP code at the emulator's clock (Python then moves the
//                  clock on by 30 s, so the next code is from a later window)
//     KIND "hook"  {name}: the test does something on its side (an admin call...) first
//   Node -> Python (stdout): {"result": {...}} or {"crashed": ...} once the scenario is over,
//     then {"done": N, "leftovers": [...]}: what the scenario left running in the process
//     (pending timers, Hub listeners...); when there is any, Python ends this process and the
//     next scenario gets a new one.
// Every scenario waits for Python's answer before going on: nothing depends on timing.
//
// Isolation: before each scenario, fresh() gives it the state a new process would have (see
// there); afterwards leftovers() reports anything it could not undo.
'use strict';

// Amplify reads `navigator` in getDeviceName() (packages/core/src/utils/deviceName/
// getDeviceName.ts: `const { userAgentData } = navigator; if (!userAgentData) return
// navigator.userAgent;`), which getNewDeviceMetadata() awaits inside the try that guards
// ConfirmDevice (packages/auth/src/providers/cognito/utils/getNewDeviceMetadata.ts): in a
// Node without a global navigator that throws a ReferenceError, the catch returns
// undefined, and the device is silently never confirmed. A minimal navigator (userAgent,
// no userAgentData) is enough. Node >= 21 has its own navigator; keep it when present.
if (typeof globalThis.navigator === 'undefined') {
	globalThis.navigator = { userAgent: 'cognito-flows-amplify-peer' };
}

const path = require('node:path');
const readline = require('node:readline');
const { AsyncLocalStorage, createHook } = require('node:async_hooks');
const { Amplify } = require('aws-amplify');
const auth = require('aws-amplify/auth');
const { cognitoUserPoolsTokenProvider } = require('aws-amplify/auth/cognito');
const core = require('@aws-amplify/core');
const { HubInternal, getAmplifyUserAgent } = require('@aws-amplify/core/internals/utils');

// Module-level sign-in state the package does not export: required by file name, which
// gives the instance Amplify itself loaded (Node caches modules by resolved file name; the
// check below makes sure it is that one and not a second copy).
function amplifyModule(relative) {
	const file = path.join(path.dirname(require.resolve('@aws-amplify/auth')), relative);
	if (!require.cache[file]) throw new Error(`${file} is not the module aws-amplify loaded`);
	return require(file);
}
// packages/auth/src/client/utils/store/signInStore.ts: the sign-in in progress (user name,
// challenge, Session), kept in memory and in core's syncSessionStorage.
const { signInStore } = amplifyModule('client/utils/store/signInStore.js');
// packages/auth/src/providers/cognito/apis/autoSignIn.ts: the autoSignIn() callback that
// signUp() sets, and autoSignInStore (client/utils/store/autoSignInStore.ts).
const { resetAutoSignIn } = amplifyModule('providers/cognito/apis/autoSignIn.js');

// The first user agent string starts core's framework detection
// (packages/core/src/Platform/detectFramework.ts), which, finding none, detects once more
// from a 10 ms and then a 1 s timer. Started here, those timers belong to no scenario.
getAmplifyUserAgent();

// Timers and immediates each scenario creates (async_hooks' init runs in the creator's
// async context, so a timer a scenario's code starts, at any depth, is in its list).
// leftovers() counts those still pending that hold the process open: Amplify never unrefs
// its timers (signUpHelpers.ts' 3-minute timeout, its debounce); Node's fetch (undici)
// unrefs all of its own (keep-alive, its fast-timer tick), which belong to the connection
// pool freshConnections() replaces.
const scenarioTimers = new AsyncLocalStorage();
createHook({
	init(asyncId, type, triggerAsyncId, resource) {
		if (type !== 'Timeout' && type !== 'Immediate') return;
		const timers = scenarioTimers.getStore();
		if (timers) timers.push(resource);
	},
}).enable();

function hubListeners() {
	let count = 0;
	for (const hub of [core.Hub, HubInternal]) {
		for (const listeners of hub.listeners.values()) count += listeners.length;
	}
	return count;
}
const baselineListeners = hubListeners();

// Node's fetch (undici) keeps connections alive in its global dispatcher; a new process
// would have none, so each scenario gets a new dispatcher (undici's own symbol, the one
// setGlobalDispatcher() writes).
const DISPATCHER = Symbol.for('undici.globalDispatcher.1');

async function freshConnections() {
	const old = globalThis[DISPATCHER];
	if (!old) return; // no fetch yet: no connections
	globalThis[DISPATCHER] = new old.constructor();
	await old.destroy().catch(() => {}); // its connections were to an emulator now gone
}

// An in-memory KeyValueStorageInterface (setItem/getItem/removeItem/clear, all async).
function memoryStore() {
	const memory = new Map();
	return {
		async setItem(key, value) {
			memory.set(key, value);
		},
		async getItem(key) {
			return memory.has(key) ? memory.get(key) : null;
		},
		async removeItem(key) {
			memory.delete(key);
		},
		async clear() {
			memory.clear();
		},
	};
}

// What a new process would start the scenario with.
async function fresh(cfg) {
	await freshConnections();
	// packages/auth/src/client/utils/store/signInStore.ts: RESET_STATE (what a sign-in that
	// ends or fails does, apis/signInWithSRP.ts...) also clears the persisted copy.
	signInStore.dispatch({ type: 'RESET_STATE' });
	resetAutoSignIn();
	// aws-amplify's Amplify.configure (packages/aws-amplify/src/Amplify.ts) makes a new
	// global context and AuthClass, and gives the token provider singleton
	// (cognitoUserPoolsTokenProvider) this config and core's defaultStorage ...
	Amplify.configure({
		Auth: {
			Cognito: {
				userPoolId: cfg.userPoolId,
				userPoolClientId: cfg.clientId,
				userPoolEndpoint: cfg.endpoint,
				loginWith: { email: true, username: true },
			},
		},
	});
	// ... whose tokens, device keys (key, group key, password) and clock drift
	// (tokenProvider/TokenStore.ts) then go to a new store of the scenario's own.
	cognitoUserPoolsTokenProvider.setKeyValueStorage(memoryStore());
	// Core's module-level storages (packages/core/src/storage/index.ts; in Node the
	// InMemoryStorage fallbacks of storage/utils.ts): defaultStorage (oAuthStore, identity
	// ids), syncSessionStorage (the sign-in state), sessionStorage, sharedInMemoryStorage,
	// and core's Cache.
	await core.defaultStorage.clear();
	await core.sessionStorage.clear();
	core.syncSessionStorage.clear();
	await core.sharedInMemoryStorage.clear();
	await core.Cache.clear();
}

// What the scenario left that fresh() would not undo for the next one.
function leftovers(timers) {
	const found = [];
	const pending = timers.filter(timer => !timer._destroyed && timer.hasRef()).length;
	if (pending) found.push(`${pending} timer(s) still pending`);
	const listeners = hubListeners() - baselineListeners;
	if (listeners) found.push(`${listeners} more Hub listener(s)`);
	if (!globalThis[DISPATCHER]) found.push('no undici dispatcher found: connections not reset');
	return found;
}

const lines = readline.createInterface({ input: process.stdin });
const pending = [];
const queued = [];
const requests = [];
let wakeRunner = null;
lines.on('line', line => {
	const message = JSON.parse(line);
	if ('scenario' in message) {
		requests.push(message);
		if (wakeRunner) wakeRunner();
		return;
	}
	const waiter = pending.shift();
	if (waiter) waiter(message.value);
	else queued.push(message.value);
});
// Python ends stdin when it is done with this process. Exit at once: a scenario may have
// left timers (autoSignIn's 3-minute listener) that would otherwise hold the process open.
lines.on('close', () => process.exit(0));

function send(message) {
	return new Promise(resolve => process.stdout.write(JSON.stringify(message) + '\n', resolve));
}

function ask(kind, data) {
	process.stdout.write(JSON.stringify({ ask: kind, ...data }) + '\n');
	return new Promise(resolve => {
		if (queued.length) resolve(queued.shift());
		else pending.push(resolve);
	});
}

const code = username => ask('code', { username });
const totp = secret => ask('totp', { secret });
const hook = name => ask('hook', { name });

// The running scenario's arguments.
let args = {};

function step(result) {
	return result.nextStep.signInStep;
}

async function failure(promise) {
	try {
		await promise;
		return null;
	} catch (err) {
		return err.name;
	}
}

async function session() {
	const s = await auth.fetchAuthSession();
	const access = s.tokens && s.tokens.accessToken;
	return access ? access.payload : null;
}

const scenarios = {
	// sign-up, confirm with the code, autoSignIn() with ConfirmSignUp's session
	async signUpAutoSignIn() {
		const up = await auth.signUp({
			username: args.username,
			password: args.password,
			options: {
				userAttributes: { email: args.email },
				// true: autoSignIn() signs in again with the password (SRP); with
				// {authFlowType: 'USER_AUTH'} it uses ConfirmSignUp's Session
				// (providers/cognito/utils/signUpHelpers.ts handleAutoSignInWithCodeOrUserConfirmed).
				autoSignIn: args.autoSignIn,
			},
		});
		const confirmed = await auth.confirmSignUp({
			username: args.username,
			confirmationCode: await code(args.username),
		});
		const signedIn = await auth.autoSignIn();
		return {
			signUpStep: up.nextStep.signUpStep,
			confirmStep: confirmed.nextStep.signUpStep,
			signedIn: signedIn.isSignedIn,
			user: (await session()).username,
		};
	},

	// one sign-in with the given authFlowType, then sign out
	async signIn() {
		const r = await auth.signIn({
			username: args.username,
			password: args.password,
			options: { authFlowType: args.authFlowType },
		});
		const claims = await session();
		return { step: step(r), user: claims && claims.username, device: claims && claims.device_key };
	},

	async wrongPassword() {
		return {
			error: await failure(
				auth.signIn({
					username: args.username,
					password: args.password + 'x',
					options: { authFlowType: args.authFlowType },
				})
			),
		};
	},

	async newPasswordRequired() {
		const r = await auth.signIn({ username: args.username, password: args.password });
		const done = await auth.confirmSignIn({ challengeResponse: args.newPassword });
		return { steps: [step(r), step(done)] };
	},

	// MFA_SETUP with TOTP, then sign out and sign in with a TOTP code
	async totpSetupAndSignIn() {
		const r = await auth.signIn({ username: args.username, password: args.password });
		const secret = r.nextStep.totpSetupDetails.sharedSecret;
		const done = await auth.confirmSignIn({ challengeResponse: await totp(secret) });
		await auth.signOut();
		await hook('signedOut');
		const again = await auth.signIn({ username: args.username, password: args.password });
		const finished = await auth.confirmSignIn({ challengeResponse: await totp(secret) });
		return { steps: [step(r), step(done), step(again), step(finished)] };
	},

	// MFA_SETUP offering TOTP and e-mail: choose one (args.choice 'TOTP' or 'EMAIL'), set it up
	async mfaSetupSelection() {
		const r = await auth.signIn({ username: args.username, password: args.password });
		const chosen = await auth.confirmSignIn({ challengeResponse: args.choice });
		const steps = [step(r), step(chosen)];
		let done;
		if (args.choice === 'TOTP') {
			const secret = chosen.nextStep.totpSetupDetails.sharedSecret;
			done = await auth.confirmSignIn({ challengeResponse: await totp(secret) });
		} else {
			const sent = await auth.confirmSignIn({ challengeResponse: args.email });
			steps.push(step(sent));
			done = await auth.confirmSignIn({ challengeResponse: await code(args.username) });
		}
		steps.push(step(done));
		return { steps, allowed: r.nextStep.allowedMFATypes };
	},

	// one MFA challenge answered from the outbox; a wrong code first when args.wrongFirst
	async mfaCode() {
		const r = await auth.signIn({ username: args.username, password: args.password });
		const steps = [step(r)];
		let wrong = null;
		if (args.wrongFirst) {
			wrong = await failure(auth.confirmSignIn({ challengeResponse: '000000' }));
		}
		const done = await auth.confirmSignIn({
			challengeResponse: await code(args.username),
		});
		steps.push(step(done));
		return { steps, wrong };
	},

	async selectMfaType() {
		const r = await auth.signIn({ username: args.username, password: args.password });
		const chosen = await auth.confirmSignIn({ challengeResponse: args.choice });
		const done = await auth.confirmSignIn({
			challengeResponse: await code(args.username),
		});
		return {
			steps: [step(r), step(chosen), step(done)],
			allowed: r.nextStep.allowedMFATypes,
		};
	},

	// USER_AUTH with a preferred first factor (PASSWORD, PASSWORD_SRP or EMAIL_OTP)
	async userAuthPreferred() {
		const r = await auth.signIn({
			username: args.username,
			password: args.password,
			options: { authFlowType: 'USER_AUTH', preferredChallenge: args.preferred },
		});
		const steps = [step(r)];
		if (steps[0] === 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE' || steps[0] === 'CONFIRM_SIGN_IN_WITH_SMS_CODE') {
			const done = await auth.confirmSignIn({
				challengeResponse: await code(args.username),
			});
			steps.push(step(done));
		}
		return { steps };
	},

	// USER_AUTH without a preference: SELECT_CHALLENGE, then the chosen factor
	async userAuthSelect() {
		const r = await auth.signIn({
			username: args.username,
			options: { authFlowType: 'USER_AUTH' },
		});
		const chosen = await auth.confirmSignIn({ challengeResponse: args.choice });
		const steps = [step(r), step(chosen)];
		let done;
		if (args.choice === 'EMAIL_OTP') {
			done = await auth.confirmSignIn({
				challengeResponse: await code(args.username),
			});
		} else {
			done = await auth.confirmSignIn({ challengeResponse: args.password });
		}
		steps.push(step(done));
		return { steps, available: r.nextStep.availableChallenges };
	},

	// CUSTOM_WITHOUT_SRP / CUSTOM_WITH_SRP with the emulator's e-mail-code triggers
	async customAuth() {
		const withSrp = args.authFlowType === 'CUSTOM_WITH_SRP';
		const r = await auth.signIn({
			username: args.username,
			password: withSrp ? args.password : undefined,
			options: { authFlowType: args.authFlowType },
		});
		const steps = [step(r)];
		let wrong = null;
		if (args.wrongFirst) {
			const again = await auth.confirmSignIn({ challengeResponse: '000000' });
			wrong = step(again);
		}
		const done = await auth.confirmSignIn({
			challengeResponse: await code(args.username),
		});
		steps.push(step(done));
		return { steps, wrong };
	},

	// first sign-in with an SMS code and rememberDevice(); the second skips MFA
	async rememberedDevice() {
		const r = await auth.signIn({ username: args.username, password: args.password });
		const done = await auth.confirmSignIn({
			challengeResponse: await code(args.username),
		});
		await auth.rememberDevice();
		const first = await session();
		await auth.signOut();
		await hook('signedOut');
		const again = await auth.signIn({ username: args.username, password: args.password });
		const second = await session();
		return {
			steps: [step(r), step(done), step(again)],
			devices: [first.device_key, second.device_key],
		};
	},

	// forgetDevice() of the current device, then a sign-in from a new device
	async forgottenDevice() {
		await auth.signIn({ username: args.username, password: args.password });
		const first = await session();
		await auth.forgetDevice();
		await auth.signOut();
		await hook('signedOut');
		const again = await auth.signIn({ username: args.username, password: args.password });
		const second = await session();
		return { device: first.device_key, after: second.device_key, step: step(again) };
	},

	// a device the pool forgot while the client still holds it (AdminForgetDevice in the
	// hook): the next sign-in meets ResourceNotFoundException and retries without it
	async staleDevice() {
		await auth.signIn({ username: args.username, password: args.password });
		const first = await session();
		await auth.signOut();
		await hook('signedOut');
		const again = await auth.signIn({ username: args.username, password: args.password });
		const second = await session();
		return { device: first.device_key, after: second.device_key, step: step(again) };
	},

	async resetPassword() {
		const r = await auth.resetPassword({ username: args.username });
		await auth.confirmResetPassword({
			username: args.username,
			newPassword: args.newPassword,
			confirmationCode: await code(args.username),
		});
		const s = await auth.signIn({ username: args.username, password: args.newPassword });
		return { resetStep: r.nextStep.resetPasswordStep, step: step(s) };
	},

	async changePassword() {
		await auth.signIn({ username: args.username, password: args.password });
		await auth.updatePassword({ oldPassword: args.password, newPassword: args.newPassword });
		await auth.signOut();
		await hook('signedOut');
		const s = await auth.signIn({ username: args.username, password: args.newPassword });
		return { step: step(s) };
	},

	async refresh() {
		await auth.signIn({ username: args.username, password: args.password });
		const before = (await auth.fetchAuthSession()).tokens.accessToken.toString();
		const after = (await auth.fetchAuthSession({ forceRefresh: true })).tokens;
		const last = (await auth.fetchAuthSession({ forceRefresh: true })).tokens;
		return {
			changed: after.accessToken.toString() !== before,
			changedAgain: last.accessToken.toString() !== after.accessToken.toString(),
		};
	},

	async updateAttribute() {
		await auth.signIn({ username: args.username, password: args.password });
		const out = await auth.updateUserAttributes({ userAttributes: { email: args.email } });
		const nextStep = out.email.nextStep.updateAttributeStep;
		await auth.confirmUserAttribute({
			userAttributeKey: 'email',
			confirmationCode: await code(args.username),
		});
		const resent = await auth.sendUserAttributeVerificationCode({ userAttributeKey: 'email' });
		const attributes = await auth.fetchUserAttributes();
		return {
			nextStep,
			email: attributes.email,
			verified: attributes.email_verified,
			resent: resent.deliveryMedium,
		};
	},

	// signed in: add an authenticator app, prefer it, read the MFA settings, list the
	// devices, delete an attribute
	async selfService() {
		await auth.signIn({ username: args.username, password: args.password });
		const setup = await auth.setUpTOTP();
		await auth.verifyTOTPSetup({ code: await totp(setup.sharedSecret) });
		await auth.updateMFAPreference({ totp: 'PREFERRED' });
		const preference = await auth.fetchMFAPreference();
		const devices = await auth.fetchDevices();
		await auth.deleteUserAttributes({ userAttributeKeys: ['given_name'] });
		const attributes = await auth.fetchUserAttributes();
		return {
			preferred: preference.preferred,
			enabled: preference.enabled,
			devices: devices.length,
			givenName: attributes.given_name === undefined ? null : attributes.given_name,
		};
	},

	async globalSignOut() {
		await auth.signIn({ username: args.username, password: args.password });
		await auth.signOut({ global: true });
		return { signedOut: (await session()) === null };
	},

	async deleteUser() {
		await auth.signIn({ username: args.username, password: args.password });
		await auth.deleteUser();
		return {
			error: await failure(auth.signIn({ username: args.username, password: args.password })),
		};
	},
};

async function runOne(request) {
	const cfg = request.scenario;
	const scenario = scenarios[cfg.scenario];
	const timers = [];
	try {
		if (!scenario) throw new Error(`unknown scenario ${cfg.scenario}`);
		const result = await scenarioTimers.run(timers, async () => {
			await fresh(cfg);
			args = cfg.args || {};
			return scenario();
		});
		await send({ result });
	} catch (err) {
		await send({
			crashed: `${err && err.name}: ${err && err.message}\n${err && err.stack}`,
		});
	}
	// Let what the scenario's last steps queued run first (setImmediate runs after the
	// callbacks of I/O already done), then look at what is left.
	await new Promise(resolve => setImmediate(resolve));
	await send({ done: request.id, leftovers: leftovers(timers) });
}

(async () => {
	for (;;) {
		while (!requests.length) await new Promise(resolve => (wakeRunner = resolve));
		wakeRunner = null;
		await runOne(requests.shift());
	}
})();
