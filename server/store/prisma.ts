import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";

export type { PrismaClient } from "./generated/client";

/** One Prisma client per database URL for the whole process (also across Next bundles). */
const holder = globalThis as { __loopscopePrisma?: Map<string, PrismaClient> };

export function prismaClient(databaseUrl: string): PrismaClient {
  holder.__loopscopePrisma ??= new Map();
  let client = holder.__loopscopePrisma.get(databaseUrl);
  if (!client) {
    client = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
    holder.__loopscopePrisma.set(databaseUrl, client);
  }
  return client;
}

export async function disconnectAll(): Promise<void> {
  const clients = [...(holder.__loopscopePrisma?.values() ?? [])];
  holder.__loopscopePrisma?.clear();
  await Promise.all(clients.map((c) => c.$disconnect()));
}
