// Drives the local Cognito with AWS's own client, amazon-cognito-identity-js (unchanged).
// Usage: node identity_js_flow.js '{"endpoint":..,"userPoolId":..,"clientId":..,"password":..}'
// Prints one JSON object with what happened.
'use strict';

const {
	CognitoUserPool,
	CognitoUser,
	AuthenticationDetails,
	CognitoUserAttribute,
} = require('amazon-cognito-identity-js');

const cfg = JSON.parse(process.argv[2]);
const pool = new CognitoUserPool({
	UserPoolId: cfg.userPoolId,
	ClientId: cfg.clientId,
	endpoint: cfg.endpoint + '/',
});

function signIn(username, password) {
	return new Promise(resolve => {
		const user = new CognitoUser({ Username: username, Pool: pool });
		const details = new AuthenticationDetails({ Username: username, Password: password });
		user.authenticateUser(details, {
			onSuccess: (session, confirmationNecessary) =>
				resolve({
					ok: true,
					deviceKey: session.getAccessToken().decodePayload().device_key || null,
					username: session.getAccessToken().decodePayload().username,
					confirmationNecessary: confirmationNecessary === true,
				}),
			onFailure: err => resolve({ ok: false, code: err.code, message: err.message }),
			mfaRequired: () => resolve({ ok: false, code: 'MFA' }),
			totpRequired: () => resolve({ ok: false, code: 'TOTP' }),
			newPasswordRequired: () => resolve({ ok: false, code: 'NEW_PASSWORD' }),
		});
	});
}

function signUp(username, password, email) {
	return new Promise(resolve => {
		const attrs = [new CognitoUserAttribute({ Name: 'email', Value: email })];
		pool.signUp(username, password, attrs, null, (err, result) =>
			resolve(err ? { ok: false, code: err.code } : { ok: true, sub: result.userSub })
		);
	});
}

function confirm(username, code) {
	return new Promise(resolve => {
		const user = new CognitoUser({ Username: username, Pool: pool });
		user.confirmRegistration(code, true, err =>
			resolve(err ? { ok: false, code: err.code, message: err.message } : { ok: true })
		);
	});
}

async function outboxCode(username) {
	const response = await fetch(`${cfg.endpoint}/_local/outbox?username=${username}`);
	const body = await response.json();
	return body.messages[body.messages.length - 1].code;
}

(async () => {
	const out = {};
	out.first = await signIn(cfg.username, cfg.password);
	out.second = await signIn(cfg.username, cfg.password);
	out.wrong = await signIn(cfg.username, cfg.password + 'x');
	out.signUp = await signUp('jsnew', cfg.password, 'jsnew@example.com');
	out.badConfirm = await confirm('jsnew', '000000x');
	out.confirm = await confirm('jsnew', await outboxCode('jsnew'));
	out.newUser = await signIn('jsnew', cfg.password);
	process.stdout.write(JSON.stringify(out) + '\n');
})().catch(err => {
	process.stdout.write(JSON.stringify({ crashed: String(err && err.stack) }) + '\n');
	process.exit(1);
});
