import { Module } from '@nestjs/common';
import { PostgresKeyVerifier } from './postgres-key-verifier';
import { VerifyGrpcService } from './verify.grpc';

@Module({ providers: [PostgresKeyVerifier, VerifyGrpcService], exports: [PostgresKeyVerifier] })
export class VerifyModule {}
