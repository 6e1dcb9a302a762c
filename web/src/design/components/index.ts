export { BarChart, type Bar } from "./BarChart";
export { Button } from "./Button";
export { Card } from "./Card";
export { DataTable, type ColumnDef } from "./DataTable";
export { Dialog } from "./Dialog";
export { Field } from "./Field";
export { Notice } from "./Notice";
export { Progress } from "./Progress";
