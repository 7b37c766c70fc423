/**
 * The cluster-wide route table: topic filter → nodes that have at least one subscriber for it
 * (STYLE habit 3: route to nodes, not clients). A node adds a route on its first local subscriber
 * of a filter and removes it on the last. Shared subscriptions are routed under their full
 * `$share/{group}/{filter}` name.
 */
export interface RouteRegistry {
  add(filter: string, nodeId: string): Promise<void>;
  remove(filter: string, nodeId: string): Promise<void>;
  /** Every node with a route matching the topic name (each once). */
  match(topic: string): Promise<string[]>;
  /** The whole table, for warming a node's replica and for reconciliation. */
  snapshot(): Promise<Map<string, Set<string>>>;
  /** Removes every route of a node (when it leaves or is found dead). Returns how many were removed. */
  purgeNode(nodeId: string): Promise<number>;
}
