// Stands for the composition root: nothing below it may import it.
export interface Root {
  started: boolean;
}
