// Drives the local Cognito with Amplify JS v6 (npm aws-amplify, unchanged) for one scenario.
//
// Usage: node amplify_flow.js '{"endpoint":..,"userPoolId":..,"clientId":..,"scenario":..,"args":{..}}'
//
// Protocol with the Python test (tests/local/test_amplify.py), one JSON object a line:
//   Node -> Python (stdout): {"ask": KIND, ...}  Python answers one line on stdin: {"value": ...}
//     KIND "code"  {username, purpose}: the newest code the emulator's outbox holds
//     KIND "totp"  {secret}: the TOTP code at the emulator's clock (Python then moves the
//                  clock on by 30 s, so the next code is from a later window)
//     KIND "hook"  {name}: the test does something on its side (an admin call...) first
//   Node -> Python (stdout): {"result": {...}} once, last; {"crashed": ...} on an error.
// Every scenario waits for Python's answer before going on: nothing depends on timing.
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

const readline = require('node:readline');
const { Amplify } = require('aws-amplify');
const auth = require('aws-amplify/auth');
const { cognitoUserPoolsTokenProvider } = require('aws-amplify/auth/cognito');

const cfg = JSON.parse(process.argv[2]);
const args = cfg.args || {};

// An in-memory KeyValueStorageInterface (setItem/getItem/removeItem/clear, all async).
const memory = new Map();
const store = {
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
cognitoUserPoolsTokenProvider.setKeyValueStorage(store);

const lines = readline.createInterface({ input: process.stdin });
const pending = [];
const queued = [];
lines.on('line', line => {
	const value = JSON.parse(line).value;
	const waiter = pending.shift();
	if (waiter) waiter(value);
	else queued.push(value);
});

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

(async () => {
	const scenario = scenarios[cfg.scenario];
	if (!scenario) throw new Error(`unknown scenario ${cfg.scenario}`);
	const result = await scenario();
	// Exit at once: Amplify keeps timers (autoSignIn's 3-minute listener) that would
	// otherwise hold the process open.
	process.stdout.write(JSON.stringify({ result }) + '\n', () => process.exit(0));
})().catch(err => {
	process.stdout.write(
		JSON.stringify({ crashed: `${err && err.name}: ${err && err.message}\n${err && err.stack}` }) +
			'\n',
		() => process.exit(1)
	);
});
