// A gateway on a free loopback port in front of the test world's SDK, and an official openai client for it.
import OpenAI from 'openai';
import { Gateway, GatewayOptions, startGateway } from '../../gateway/server';
import type { World } from '../sdk/world';

export async function gatewayFor(w: World, options: Partial<GatewayOptions> = {}): Promise<{ gateway: Gateway; openai: OpenAI }> {
    const gateway = await startGateway({ sdk: w.newSdk(), port: 0, mode: 'job', ...options });
    return { gateway, openai: new OpenAI({ baseURL: gateway.url, apiKey: 'unused-on-loopback' }) };
}
