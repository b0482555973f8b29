// Style sheets are imported for esbuild to bundle (assets/app.css); they export nothing.
declare module '*.css';
