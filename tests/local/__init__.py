"""Tests of the strict local Cognito emulator (cognito_local)."""
