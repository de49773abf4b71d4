import { afterAll } from "vitest";
import { stopAllEngines } from "../helpers/engines.js";
import { runDocStoreContract } from "./doc-store.contract.js";
import { runKvStoreContract } from "./kv-store.contract.js";
import { postgresFactory } from "./postgres-helpers.js";

afterAll(stopAllEngines);

runDocStoreContract("postgres", postgresFactory());
runKvStoreContract("postgres", postgresFactory());
