import { Module } from '@nestjs/common';
import { cachedKeyVerifierProvider } from './cached-key-verifier';
import { PostgresKeyVerifier } from './postgres-key-verifier';
import { VerifyGrpcService } from './verify.grpc';

@Module({ providers: [PostgresKeyVerifier, cachedKeyVerifierProvider, VerifyGrpcService], exports: [PostgresKeyVerifier] })
export class VerifyModule {}
