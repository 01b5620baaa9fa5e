import { Global, Module } from '@nestjs/common';
import { KeyStateOutbox } from './key-state-outbox.service';

@Global()
@Module({ providers: [KeyStateOutbox], exports: [KeyStateOutbox] })
export class KeyStateModule {}
