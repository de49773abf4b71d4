import { runDocStoreContract } from "./doc-store.contract.js";
import { levelFactory, memoryFactory } from "./helpers.js";
import { runKvStoreContract } from "./kv-store.contract.js";

runDocStoreContract("memory", memoryFactory);
runDocStoreContract("leveldb", levelFactory());
runKvStoreContract("memory", memoryFactory);
runKvStoreContract("leveldb", levelFactory());
