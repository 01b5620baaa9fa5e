import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { TenantsModule } from '../tenants/tenants.module';
import { AdminBootstrap } from './admin-bootstrap.service';

@Module({ imports: [TenantsModule, KeysModule], providers: [AdminBootstrap] })
export class BootstrapModule {}
