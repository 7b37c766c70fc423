export * from "./node-admin";
