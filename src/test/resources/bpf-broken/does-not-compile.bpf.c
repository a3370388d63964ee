// Deliberately broken: used to check that a compile error gives one clear line.
this is not C;
